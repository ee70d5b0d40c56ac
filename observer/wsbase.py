"""The shared base of Observer's WebSocket consumers.

It accepts with the negotiated subprotocol, reports connects and disconnects
(`observer.signals`), checks every incoming frame's size and rate before a
subclass sees it, answers bad frames with an error frame instead of crashing, and
sends everything through one ordered outbox per connection so that fan-out from
other connections never waits on this one (a connection that cannot keep up is
closed and resynchronises when it reconnects).

Subclasses implement `authorize()` (return None to accept, or a close code) and
`on_text(message: dict)` / `on_binary(data: bytes)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from observer import json_input
from observer.contract import ErrorFrame
from observer.errors import record_error_async
from observer.signals import rate_limited, websocket_connected, websocket_disconnected

logger = logging.getLogger("observer.ws")

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408
CLOSE_FLOODING = 4429


_settings_cache: dict[str, Any] = {}


def ws_setting(name: str, default: Any) -> Any:
    # Read for every frame; a setting left at its default costs an exception per getattr.
    try:
        return _settings_cache[name]
    except KeyError:
        value = _settings_cache[name] = getattr(settings, name, default)
        return value


@receiver(setting_changed)
def _forget_settings(**kwargs: Any) -> None:
    _settings_cache.clear()


class FrameError(Exception):
    """A frame the consumer cannot act on; answered with an error frame."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self, reserve: float = 0.0) -> bool:
        """Spend a token, leaving at least `reserve` for frames that matter more."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1 + reserve:
            self.tokens -= 1
            return True
        return False

    def seconds_until(self, tokens: float) -> float:
        """How long until `tokens` tokens are there (0 when they already are)."""
        now = time.monotonic()
        have = min(self.burst, self.tokens + (now - self.at) * self.rate)
        return max(0.0, (tokens - have) / self.rate) if self.rate > 0 else float("inf")


class ObserverConsumer(AsyncWebsocketConsumer):
    kind = "websocket"  # "document" | "terminal" | "session" | "monitoring"
    max_frame_bytes = 64 * 1024

    accepted = False

    # --- lifecycle ------------------------------------------------------------------

    async def connect(self) -> None:
        self._outbox: deque[bytes | str] = deque()
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._bucket = TokenBucket(
            float(ws_setting("LIVE_RATE_PER_SECOND", 60.0)), float(ws_setting("LIVE_RATE_BURST", 300))
        )
        self._dropped = 0
        self._dropped_at = 0.0
        self._throttle_told_at = 0.0
        self._closing = False
        try:
            refusal = await self.authorize()
        except Exception as exc:
            logger.exception("%s consumer failed to authorize", self.kind)
            await self.report_error(exc)
            refusal = 1011
        # Accepted before closing: a close before the handshake completes reaches the
        # browser as a bare failure (1006), never as the 44xx code that says why.
        await self.accept(subprotocol=self.scope.get("accept_subprotocol"))
        if refusal is not None:
            await self.close(code=refusal)
            return
        self.accepted = True
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())
        await websocket_connected.asend(sender=type(self), kind=self.kind, scope=self.scope)
        await self.on_accepted()

    async def disconnect(self, code: int) -> None:
        if not self.accepted:
            return
        self.accepted = False
        try:
            await self.on_disconnect(code)
        except Exception as exc:
            logger.exception("%s consumer failed to clean up", self.kind)
            await self.report_error(exc)
        if self._writer is not None:
            self._writer.cancel()
        await websocket_disconnected.asend(sender=type(self), kind=self.kind, scope=self.scope, code=code)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' consumer loop, leaner: a long-lived reader for the socket and one
        for the channel layer, instead of a new task and an asyncio.wait per message."""
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        layer_reader = None
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            layer_reader = asyncio.ensure_future(self._read_layer())
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            if layer_reader is not None:
                layer_reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopConsumer):
                    await layer_reader
            if self.accepted:  # killed (server shutdown, close timeout): no disconnect comes
                self.accepted = False
                if self._writer is not None:
                    # Awaited: at shutdown the loop stops right after the killed consumers
                    # return, and a writer still pending then is destroyed mid-wait.
                    self._writer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._writer
                try:
                    self.on_killed()
                except Exception:
                    logger.exception("%s consumer failed to clean up after being killed", self.kind)

    async def _read_layer(self) -> None:
        assert self.channel_layer is not None
        while True:
            message = await self.channel_layer.receive(self.channel_name)
            try:
                await self.dispatch(message)
            except StopConsumer:
                return
            except Exception:
                logger.exception("%s consumer failed on a channel-layer event", self.kind)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, minus its `close_old_connections` per message: that is a
        hop to the single thread-sensitive executor for every frame, which serialises
        all sockets behind whatever database work runs there (measured: the largest
        cost on the keystroke path, and the cause of its latency spikes). The ORM is
        only ever used through database_sync_to_async, which cleans connections itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # Hooks for subclasses.
    async def authorize(self) -> int | None:
        return CLOSE_FORBIDDEN

    async def on_accepted(self) -> None: ...

    async def on_disconnect(self, code: int) -> None: ...

    def on_killed(self) -> None:
        """The connection's task was cancelled: drop in-memory references (no awaiting;
        presence is settled by the process's shutdown or its ledger's expiry)."""

    @property
    def takes_text(self) -> bool:
        """Whether this socket has text frames in its protocol (a subclass's on_text);
        on one that has not, any text frame is `unsupported`, JSON or not."""
        return type(self).on_text is not ObserverConsumer.on_text

    async def on_text(self, message: dict[str, Any]) -> None:
        raise FrameError("unsupported", "This socket takes no text frames.")

    async def on_binary(self, data: bytes) -> None:
        raise FrameError("unsupported", "This socket takes no binary frames.")

    # --- incoming ----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.accepted or self._closing:
            return
        if not self._bucket.take(self.frame_reserve(bytes_data)):
            await self._throttle(text_data, bytes_data)
            return
        try:
            if bytes_data is not None:
                if len(bytes_data) > self.max_frame_bytes:
                    raise FrameError("too_large", f"Frames are limited to {self.max_frame_bytes} bytes.")
                await self.on_binary(bytes_data)
            else:
                text = text_data or ""
                if len(text) > self.max_frame_bytes:
                    raise FrameError("too_large", f"Frames are limited to {self.max_frame_bytes} bytes.")
                if not self.takes_text:
                    raise FrameError("unsupported", "This socket takes binary frames only.")
                try:
                    message = json_input.loads(text)
                except json_input.MalformedJSON as error:
                    raise FrameError("invalid", f"Text frames must be JSON objects. {error}") from None
                if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                    raise FrameError("invalid", 'Text frames must be JSON objects with a "type".')
                await self.on_text(message)
        except FrameError as exc:
            self.send_error(exc.code, exc.message, **exc.extra)
        except Exception as exc:
            logger.exception("%s consumer failed on a frame", self.kind)
            await self.report_error(exc)
            self.send_error("server_error", "The server could not handle that frame.")

    def frame_reserve(self, bytes_data: bytes | None) -> float:
        """Tokens a frame must leave in the bucket: frames that may be dropped at no
        cost give way to the others first (see DocumentConsumer)."""
        return 0.0

    def on_dropped(self, text_data: str | None, bytes_data: bytes | None) -> None:
        """A frame was dropped by flood control (a subclass may have to make up for it)."""

    async def _throttle(self, text_data: str | None, bytes_data: bytes | None) -> None:
        now = time.monotonic()
        if now - self._dropped_at > 1.0:  # a second without a drop ends a flood
            self._dropped = 0
        self._dropped += 1
        self._dropped_at = now
        if self._dropped > int(ws_setting("LIVE_FLOOD_CLOSE_AFTER", 300)):
            self._closing = True
            await rate_limited.asend(
                sender=type(self), scope="websocket", key=self.kind, principal=self.scope.get("user")
            )
            await self.close(code=CLOSE_FLOODING, reason="flooding")
            return
        self.on_dropped(text_data, bytes_data)
        if now - self._throttle_told_at >= 1.0:
            self._throttle_told_at = now
            self.send_error("throttled", "Too many messages; some were dropped. Slow down.", retry_after=1)

    # --- outgoing ----------------------------------------------------------------------

    def push(self, data: bytes | str) -> None:
        """Queue a frame; frames leave in order, without blocking the caller."""
        if not self.accepted or self._closing:
            return
        self._outbox.append(data)
        if len(self._outbox) > int(ws_setting("LIVE_OUTBOX_MAX_FRAMES", 5000)):
            self._closing = True
            self._outbox.clear()
            asyncio.get_running_loop().create_task(self.close(code=CLOSE_TOO_SLOW, reason="too slow"))
            return
        self._wake.set()

    def push_json(self, message: Mapping[str, object]) -> None:
        """A JSON frame: one of observer.contract's definitions for this socket."""
        self.push(json.dumps(message, separators=(",", ":"), default=str))

    def send_error(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        frame = ErrorFrame(type="error", code=code, message=message)
        if retry_after is not None:
            frame["retry_after"] = retry_after
        self.push_json(frame)

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            send = self.base_send
            while self._outbox:
                item = self._outbox.popleft()
                # Straight to the server: frames queued together leave in one write.
                await send({"type": "websocket.send", "bytes": item} if isinstance(item, bytes)
                           else {"type": "websocket.send", "text": item})
            self._drained.set()

    async def flush_outbox(self) -> None:
        """Wait until everything queued so far has been handed to the server."""
        if self._outbox and self.accepted:
            self._drained.clear()
            await self._drained.wait()

    async def report_error(self, exc: BaseException) -> None:
        await record_error_async(exc, kind=self.kind, path=self.scope.get("path"))
