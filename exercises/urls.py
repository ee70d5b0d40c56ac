"""The exercise bank's API, included at /api/ (docs/API.md, "Exercises")."""

from django.urls import URLPattern, URLResolver, path

from exercises import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("exercises/", api.ExercisesView.as_view(), name="exercises"),
    path("exercises/export", api.ExportMineView.as_view(), name="exercises-export"),
    path("exercises/import", api.ImportView.as_view(), name="exercises-import"),
    path("exercises/<uuid:exercise_id>/", api.ExerciseDetailView.as_view(), name="exercise"),
    path("exercises/<uuid:exercise_id>/tests/", api.TestsView.as_view(), name="exercise-tests"),
    path("exercises/<uuid:exercise_id>/tests/<uuid:test_id>/", api.TestDetailView.as_view(), name="exercise-test"),
    path(
        "exercises/<uuid:exercise_id>/check-solution", api.SolutionCheckView.as_view(), name="exercise-check-solution"
    ),
    path("exercises/<uuid:exercise_id>/export", api.ExportView.as_view(), name="exercise-export"),
]
