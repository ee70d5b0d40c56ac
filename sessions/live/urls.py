"""Live-layer HTTP routes, included by sessions/urls.py under /api/."""

from django.urls import URLPattern, path

from sessions.live.views import DocumentHistoryView

urlpatterns: list[URLPattern] = [
    path("documents/<uuid:document_id>/history", DocumentHistoryView.as_view(), name="document-history"),
]
