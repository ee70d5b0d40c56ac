"""The exercise bank's API, included at /api/ (docs/API.md, "Exercises")."""

from django.urls import URLPattern, URLResolver, path

from exercises import api, classroom_api

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

# Exercises in a classroom session (exercises.classroom_api).
urlpatterns += [
    path("sessions/<uuid:session_id>/exercises/", classroom_api.SessionExercisesView.as_view(),
         name="session-exercises"),
    path("sessions/<uuid:session_id>/exercises/grid", classroom_api.GridView.as_view(), name="session-exercise-grid"),
    path("sessions/<uuid:session_id>/grades.csv", classroom_api.GradesView.as_view(), name="session-grades"),
    path("sessions/<uuid:session_id>/exercises/<uuid:link_id>/", classroom_api.SessionExerciseView.as_view(),
         name="session-exercise"),
    path("sessions/<uuid:session_id>/exercises/<uuid:link_id>/regrade", classroom_api.RegradeView.as_view(),
         name="session-exercise-regrade"),
    path("participants/<uuid:participant_id>/exercises/<uuid:link_id>/check", classroom_api.CheckView.as_view(),
         name="participant-exercise-check"),
    path("participants/<uuid:participant_id>/exercises/<uuid:link_id>/submit", classroom_api.SubmitView.as_view(),
         name="participant-exercise-submit"),
    path("participants/<uuid:participant_id>/submissions/", classroom_api.SubmissionsView.as_view(),
         name="participant-submissions"),
    path("participants/<uuid:participant_id>/feedback/", classroom_api.FeedbackView.as_view(),
         name="participant-feedback"),
]  # fmt: skip
