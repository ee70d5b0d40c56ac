"""The integrations' socket (/ws/executions/{id}/) and where it sits in the server's
WebSocket stack: beside the classroom's sockets, not behind their user-token middleware
and Origin check. It is authenticated by an API key sent in the handshake, which a
browser never sends by itself, so a page of another site cannot borrow it (what the
Origin check guards against); and the systems that use it (an LMS's server, a script)
send no Origin at all."""

from __future__ import annotations

from typing import Any

from channels.routing import URLRouter
from django.urls import path, re_path

from integrations.consumers import ExecutionStreamConsumer
from observer.routing import NoSuchSocket

PREFIX = "/ws/executions/"

websocket_urlpatterns = [
    path("ws/executions/<str:execution_id>/", ExecutionStreamConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),  # any other path under the prefix: 4404
]


class ApiKeySockets:
    """ASGI: the API-key sockets to their own router; every other socket to `inner`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.keyed = URLRouter(websocket_urlpatterns)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and str(scope.get("path", "")).startswith(PREFIX):
            return await self.keyed(scope, receive, send)
        return await self.inner(scope, receive, send)
