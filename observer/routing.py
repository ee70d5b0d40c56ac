"""All WebSocket routes, gathered from the apps that own them, and the answer to a
path none of them owns: the contract's 4404 after the handshake (Channels' router
would raise, which the server turns into an HTTP 500)."""

from django.urls import re_path

from assist.routing import websocket_urlpatterns as assist_routes
from monitoring.routing import websocket_urlpatterns as monitoring_routes
from observer.wsbase import CLOSE_NOT_FOUND, ObserverConsumer
from sessions.routing import websocket_urlpatterns as sessions_routes


class NoSuchSocket(ObserverConsumer):
    kind = "unknown"

    async def authorize(self) -> int | None:
        return CLOSE_NOT_FOUND


websocket_urlpatterns = [*sessions_routes, *assist_routes, *monitoring_routes, re_path(r"", NoSuchSocket.as_asgi())]
