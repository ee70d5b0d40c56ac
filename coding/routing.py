from django.urls import URLPattern, path

from coding.consumers import TerminalConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/terminal/<str:participant_id>/", TerminalConsumer.as_asgi()),
]
