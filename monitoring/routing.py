from django.urls import URLPattern, path

from monitoring.consumers import MonitoringConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/monitoring/", MonitoringConsumer.as_asgi()),
]
