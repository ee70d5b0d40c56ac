"""All WebSocket routes, gathered from the apps that own them."""

from coding.routing import websocket_urlpatterns as coding_routes
from monitoring.routing import websocket_urlpatterns as monitoring_routes
from sessions.routing import websocket_urlpatterns as sessions_routes

websocket_urlpatterns = [*sessions_routes, *coding_routes, *monitoring_routes]
