"""AI help's API, included at /api/ (docs/API.md, "AI help")."""

from django.urls import URLPattern, URLResolver, path

from assist import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("assist/provider", api.DeploymentProviderView.as_view(), name="assist-provider"),
    path("assist/provider/test", api.DeploymentProviderCheckView.as_view(), name="assist-provider-test"),
    path("assist/my-provider", api.OwnProviderView.as_view(), name="assist-my-provider"),
    path("assist/my-provider/test", api.OwnProviderCheckView.as_view(), name="assist-my-provider-test"),
    path("sessions/<uuid:session_id>/assist/policy", api.PolicyView.as_view(), name="assist-policy"),
    path("sessions/<uuid:session_id>/assist/questions", api.QuestionsView.as_view(), name="assist-questions"),
    path("sessions/<uuid:session_id>/assist/analytics", api.AnalyticsView.as_view(), name="assist-analytics"),
    path("sessions/<uuid:session_id>/assist/export", api.ExportView.as_view(), name="assist-export"),
    path("participants/<uuid:participant_id>/assist", api.ParticipantAssistView.as_view(), name="assist-participant"),
]
