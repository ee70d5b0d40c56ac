from django.urls import URLPattern, path

from assist.consumers import AssistConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/assist/<str:participant_id>/", AssistConsumer.as_asgi()),
]
