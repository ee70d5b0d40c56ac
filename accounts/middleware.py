"""WebSocket authentication: a token in the `Sec-WebSocket-Protocol` header
(offered as `["observer", "bearer.<token>"]`) or a `token` query parameter.

Connections without a valid token are refused with close code 1008 (policy
violation) before they are ever accepted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from accounts.authentication import principal_from_token

POLICY_VIOLATION = 1008
SUBPROTOCOL = "observer"
_BEARER_PREFIX = "bearer."


def token_from_scope(scope: dict[str, Any]) -> str | None:
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(_BEARER_PREFIX):
            return str(protocol[len(_BEARER_PREFIX) :])
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None


class TokenAuthMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        raw = token_from_scope(scope)
        principal = await database_sync_to_async(principal_from_token)(raw) if raw else None
        if principal is None:
            return await _refuse(receive, send)
        offered = scope.get("subprotocols") or []
        scope = {
            **scope,
            "user": principal,
            # Browsers drop a connection whose server picks none of the offered protocols.
            "accept_subprotocol": SUBPROTOCOL if SUBPROTOCOL in offered else None,
        }
        return await self.inner(scope, receive, send)


async def _refuse(receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": "authentication required"})
