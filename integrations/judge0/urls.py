"""The Judge0-compatible API, included at /judge0/ (docs/judge0.md). Judge0's clients
write paths with and without a trailing slash; both are taken."""

from django.urls import URLPattern, URLResolver, re_path
from drf_spectacular.views import SpectacularAPIView

from integrations.judge0 import views

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^languages/?$", views.LanguagesView.as_view(), name="judge0-languages"),
    re_path(r"^languages/(?P<language_id>[0-9]+)/?$", views.LanguageView.as_view(), name="judge0-language"),
    re_path(r"^statuses/?$", views.StatusesView.as_view(), name="judge0-statuses"),
    re_path(r"^about/?$", views.AboutView.as_view(), name="judge0-about"),
    re_path(r"^config_info/?$", views.ConfigInfoView.as_view(), name="judge0-config-info"),
    re_path(r"^submissions/?$", views.SubmissionsView.as_view(), name="judge0-submissions"),
    re_path(r"^submissions/batch/?$", views.BatchView.as_view(), name="judge0-batch"),
    re_path(r"^submissions/(?P<token>[^/]+)/?$", views.SubmissionView.as_view(), name="judge0-submission"),
    re_path(r"^openapi\.json$", SpectacularAPIView.as_view(
        urlconf="integrations.judge0.urls",
        custom_settings={"TITLE": "Observer: the Judge0 CE 1.13-compatible API", "SERVERS": [{"url": "/judge0"}],
                         "DESCRIPTION": "Judge0's paths, fields, statuses and error shapes; see docs/judge0.md."},
    ), name="judge0-schema"),
    re_path(r"^.*$", views.judge0_not_found),
]
