from django.urls import URLPattern, path

from sessions.consumers import DocumentConsumer, SessionConsumer
from sessions.terminal.consumer import TerminalConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/documents/<str:document_id>/", DocumentConsumer.as_asgi()),
    path("ws/sessions/<str:session_id>/", SessionConsumer.as_asgi()),
    path("ws/terminal/<str:participant_id>/", TerminalConsumer.as_asgi()),
]
