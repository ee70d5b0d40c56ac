"""/ws/executions/{id}/: an API key's execution as it runs (integrations.streams), then
its stored result. Authenticated by the key, never by a user's token (see routing)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from channels.db import database_sync_to_async

from integrations import keys, streams
from integrations.executions import ExecutionOutputSerializer, stored_answer
from integrations.models import ApiKey, Scope
from observer import contract
from observer.ratelimits import client_ip
from observer.wsbase import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, ObserverConsumer

CLOSE_UNAUTHENTICATED = 1008  # as a socket without a user's token (accounts.middleware)
# How often a socket looks at the stored state by itself: `done` never comes from a run
# whose server process died (stored_answer then says so) or that could not store its result.
RECHECK_SECONDS = 10.0
SUBPROTOCOL = "observer"
_KEY_PROTOCOL = "apikey."


def key_from_scope(scope: dict[str, Any]) -> str | None:
    """The key from the handshake: `X-API-Key`, `Authorization: Bearer`, or the offered
    subprotocol `apikey.<key>` (browsers cannot set headers)."""
    headers = dict(scope.get("headers") or [])
    if value := headers.get(b"x-api-key"):
        return value.decode("latin-1").strip()
    parts = headers.get(b"authorization", b"").split()
    if len(parts) == 2 and parts[0].lower() == b"bearer" and keys.looks_like_key(parts[1].decode("latin-1")):
        return parts[1].decode("latin-1")
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(_KEY_PROTOCOL):
            return str(protocol[len(_KEY_PROTOCOL):])
    return None


def _key(secret: str, ip: str) -> ApiKey | None:
    try:
        return keys.key_for_use(secret=secret, ip=ip)
    except keys.KeyRefused:
        return None


class ExecutionStreamConsumer(ObserverConsumer):
    kind = "execution"

    key: ApiKey
    execution_id: uuid.UUID
    ended = False
    watch: asyncio.Task[None] | None = None

    async def authorize(self) -> int | None:
        offered = self.scope.get("subprotocols") or []
        self.scope["accept_subprotocol"] = SUBPROTOCOL if SUBPROTOCOL in offered else None
        secret = key_from_scope(self.scope)
        key = await database_sync_to_async(_key)(secret, client_ip(self.scope)) if secret else None
        if key is None:
            return CLOSE_UNAUTHENTICATED
        if not (key.has_scope(Scope.EXECUTE) or key.has_scope(Scope.READ)):
            return CLOSE_FORBIDDEN
        try:
            self.execution_id = uuid.UUID(str(self.scope["url_route"]["kwargs"]["execution_id"]))
        except ValueError:
            return CLOSE_NOT_FOUND
        self.key = key
        if await database_sync_to_async(stored_answer)(key=key, execution_id=self.execution_id) is None:
            return CLOSE_NOT_FOUND  # another key's, or none: the same answer
        return None

    async def on_accepted(self) -> None:
        assert self.channel_layer is not None
        await self.channel_layer.group_add(streams.group(self.execution_id), self.channel_name)
        # Looked at again once in the group: a run that ended in between is not missed.
        await self._end_if_over()
        if not self.ended:
            self.watch = asyncio.get_running_loop().create_task(self._recheck())

    async def _recheck(self) -> None:
        while not self.ended:
            await asyncio.sleep(RECHECK_SECONDS)
            await self._end_if_over()

    async def on_disconnect(self, code: int) -> None:
        assert self.channel_layer is not None
        self._stop_watching()
        await self.channel_layer.group_discard(streams.group(self.execution_id), self.channel_name)

    def on_killed(self) -> None:
        self._stop_watching()

    def _stop_watching(self) -> None:
        if self.watch is not None:
            self.watch.cancel()
            self.watch = None

    async def on_text(self, message: dict[str, Any]) -> None:
        self.send_error("unsupported", "This socket only sends; the execution's frames come by themselves.")

    async def execution_frame(self, message: dict[str, Any]) -> None:
        self.push_json(message["frame"])

    async def execution_done(self, message: dict[str, Any]) -> None:
        await self._end_if_over()

    async def _end_if_over(self) -> None:
        if self.ended:
            return
        stored = await database_sync_to_async(stored_answer)(key=self.key, execution_id=self.execution_id)
        if stored is None or stored[0] == "queued" or self.ended:
            return
        self.ended = True
        state, body = stored
        if state == "rejected":
            retry_after = body.get("retry_after")
            self.send_error(str(body.get("code") or "server_error"),
                            str(body.get("message") or "The run did not start."),
                            retry_after=retry_after if isinstance(retry_after, int) else None)
        else:
            answer = dict(ExecutionOutputSerializer(body).data)
            self.push_json(contract.ExecutionResult(type="result", execution=answer))  # type: ignore[typeddict-item]
        await self.flush_outbox()
        await self.close(code=1000)
