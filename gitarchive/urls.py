from django.urls import path

from gitarchive import api

# Under /api/.
urlpatterns = [
    path("sessions/<uuid:session_id>/github-archives", api.SessionArchivesView.as_view(), name="github-archives"),
    path("participants/<uuid:participant_id>/github-save", api.ParticipantSaveView.as_view(), name="github-save"),
    path("github/jobs", api.JobsView.as_view(), name="github-jobs"),
    path("github/jobs/<uuid:job_id>", api.JobView.as_view(), name="github-job"),
]
