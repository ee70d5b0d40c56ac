"""The sessions API, included at /api/ (docs/API.md: "Sessions", "Participants and files")."""

from django.urls import URLPattern, URLResolver, include, path

from sessions.api import files, help, participants, reports, sessions

urlpatterns: list[URLPattern | URLResolver] = [
    path("sessions/", sessions.SessionsView.as_view(), name="sessions"),
    path("sessions/current", sessions.CurrentSessionView.as_view(), name="session-current"),
    path("sessions/<uuid:session_id>/", sessions.SessionDetailView.as_view(), name="session"),
    path("sessions/<uuid:session_id>/start", sessions.SessionStartView.as_view(), name="session-start"),
    path("sessions/<uuid:session_id>/end", sessions.SessionEndView.as_view(), name="session-end"),
    path("sessions/<uuid:session_id>/reopen", sessions.SessionReopenView.as_view(), name="session-reopen"),
    path(
        "sessions/<uuid:session_id>/participants/",
        participants.SessionParticipantsView.as_view(),
        name="session-participants",
    ),
    path(
        "sessions/<uuid:session_id>/participants/<uuid:participant_id>/",
        participants.SessionParticipantView.as_view(),
        name="session-participant",
    ),
    path("sessions/<uuid:session_id>/push", participants.SessionPushView.as_view(), name="session-push"),
    path("sessions/<uuid:session_id>/help/", help.HelpQueueView.as_view(), name="session-help"),
    path("sessions/<uuid:session_id>/analytics", reports.SessionAnalyticsView.as_view(), name="session-analytics"),
    path("sessions/<uuid:session_id>/export", reports.SessionExportView.as_view(), name="session-export"),
    path("join", sessions.JoinView.as_view(), name="join"),
    path("participants/<uuid:participant_id>/", participants.ParticipantDetailView.as_view(), name="participant"),
    path("participants/<uuid:participant_id>/files/", files.FilesView.as_view(), name="participant-files"),
    path(
        "participants/<uuid:participant_id>/files/download",
        files.FilesDownloadView.as_view(),
        name="participant-files-download",
    ),
    path(
        "participants/<uuid:participant_id>/files/<uuid:file_id>/",
        files.FileDetailView.as_view(),
        name="participant-file",
    ),
    path("participants/<uuid:participant_id>/help", help.HelpRaiseView.as_view(), name="participant-help"),
    path("help/<uuid:help_id>/claim", help.HelpClaimView.as_view(), name="help-claim"),
    path("help/<uuid:help_id>/resolve", help.HelpResolveView.as_view(), name="help-resolve"),
    path("help/<uuid:help_id>/cancel", help.HelpCancelView.as_view(), name="help-cancel"),
    path("", include("sessions.live.urls")),
    path("", include("sessions.terminal.urls")),
]
