from django.urls import URLPattern, URLResolver, path

from sessions.terminal import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("participants/<uuid:participant_id>/last-run", api.LastRunView.as_view(), name="participant-last-run"),
]
