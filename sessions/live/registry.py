"""The live layer of one server process: its document hubs, its bridge to the other
processes, local listeners per topic, and the batched writer to the database.

One registry per ASGI application (tests build two to play two servers); consumers
find theirs in `scope["live_registry"]` (set by LiveRegistryMiddleware), else the
default registry of the running event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async

from observer import contract
from observer.errors import record_error_async
from sessions.authors import Author
from sessions.live import presence, shutdown, store
from sessions.live.bridge import Bridge, make_bridge
from sessions.live.conf import live_setting
from sessions.live.hub import DocumentHub
from sessions.live.presence import ActivityTracker, record_activity
from sessions.live.topics import feed_topic

logger = logging.getLogger("observer.live")
Listener = Callable[[bytes], None]


class LiveRegistry:
    def __init__(self, *, bridge: Bridge | None = None) -> None:
        self.bridge = bridge or make_bridge()
        self.hubs: dict[uuid.UUID, DocumentHub] = {}
        self.listeners: dict[str, list[Listener]] = {}
        self.activity = ActivityTracker()
        self._start_lock = asyncio.Lock()
        self._started = False
        self._closed = False
        self._flusher: asyncio.Task[None] | None = None
        self._syncer: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._activity_at = 0.0
        self._background: set[asyncio.Task[Any]] = set()
        # Hubs closed while their last write failed: flushed again until it works.
        self._orphans: list[DocumentHub] = []
        self.bridge.on_resume = self.resync

    async def ensure_started(self) -> None:
        if self._started:
            return
        async with self._start_lock:
            if not self._started:
                await self.bridge.start()
                loop = asyncio.get_running_loop()
                self._flusher = loop.create_task(self._flush_loop())
                self._syncer = loop.create_task(self._anti_entropy_loop())
                self._started = True
                shutdown.on_shutdown(self)

    async def close(self) -> None:
        """Write everything still pending and leave the bridge."""
        if self._closed:
            return
        self._closed = True
        for task in (self._flusher, self._syncer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for hub in self.hubs.values():
            hub.stop_timers()
        await self.flush(force=True)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._started:
            await self.bridge.close()

    # --- topics ----------------------------------------------------------------------

    async def listen(self, topic: str, listener: Listener) -> None:
        await self.ensure_started()
        listeners = self.listeners.setdefault(topic, [])
        listeners.append(listener)
        if len(listeners) == 1:
            await self.bridge.subscribe(topic, lambda frame: self._dispatch(topic, frame))

    async def unlisten(self, topic: str, listener: Listener) -> None:
        listeners = self.listeners.get(topic)
        if not listeners or listener not in listeners:
            return
        listeners.remove(listener)
        if not listeners:
            del self.listeners[topic]
            await self.bridge.unsubscribe(topic)

    def _dispatch(self, topic: str, frame: bytes) -> None:
        for listener in list(self.listeners.get(topic, ())):
            try:
                listener(frame)
            except Exception:
                logger.exception("live listener failed on %s", topic)

    def emit(self, topic: str, frame: bytes) -> None:
        """To every listener of `topic`, here and in the other processes."""
        self._dispatch(topic, frame)
        self.bridge.publish(topic, frame)

    def emit_feed(self, session_id: uuid.UUID, event: contract.FeedEvent) -> None:
        self.emit(feed_topic(session_id), json.dumps(event, separators=(",", ":")).encode())

    # --- documents ----------------------------------------------------------------------

    async def open_document(self, document_id: uuid.UUID) -> DocumentHub:
        """The document's hub, loaded and in step with the other processes."""
        await self.ensure_started()
        hub = self.hubs.get(document_id)
        if hub is None:
            hub = self.hubs[document_id] = DocumentHub(self, document_id)
            hub.refs += 1
            try:
                await hub.start()
            except BaseException:
                self.hubs.pop(document_id, None)
                hub.stop_timers()
                hub.ready.set()
                await self.unlisten(hub.topic, hub._on_bridge)
                raise
        else:
            hub.refs += 1
            if hub.idle_handle is not None:
                hub.idle_handle.cancel()
                hub.idle_handle = None
            await hub.ready.wait()
            if hub.meta is None:  # its start failed meanwhile
                hub.refs -= 1
                return await self.open_document(document_id)
        return hub

    def release_document(self, hub: DocumentHub) -> None:
        hub.refs -= 1
        if hub.refs <= 0 and not hub.closed:
            delay = live_setting("LIVE_HUB_IDLE_SECONDS")
            hub.idle_handle = asyncio.get_running_loop().call_later(delay, lambda: self._spawn(self._close_hub(hub)))

    async def _close_hub(self, hub: DocumentHub) -> None:
        if hub.refs > 0 or self.hubs.get(hub.document_id) is not hub:
            return
        del self.hubs[hub.document_id]
        hub.stop_timers()
        await self.unlisten(hub.topic, hub._on_bridge)
        await self._flush_hubs([hub], force=True)
        if hub.has_unsaved():  # the write failed: kept (and retried by every flush)
            self._orphans.append(hub)

    async def document_text(self, document_id: uuid.UUID) -> str:
        """The freshest text of a document, in step with every process."""
        hub = await self.open_document(document_id)
        try:
            return hub.text
        finally:
            self.release_document(hub)

    # --- the database ----------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        heartbeat_at = 0.0
        while True:
            await asyncio.sleep(live_setting("LIVE_FLUSH_SECONDS"))
            try:
                await self.flush()
            except Exception:
                logger.exception("live flush failed")
            now = time.monotonic()
            if now - heartbeat_at >= live_setting("LIVE_PRESENCE_HEARTBEAT_SECONDS"):
                heartbeat_at = now
                try:
                    await database_sync_to_async(presence.heartbeat)()
                except Exception:
                    logger.exception("live presence heartbeat failed")

    async def flush(self, *, force: bool = False) -> None:
        """Append pending log entries, write due snapshots and activity counters."""
        await self._flush_hubs(list(self.hubs.values()), force=force)
        if self._orphans:
            orphans = self._orphans
            await self._flush_hubs(orphans, force=True)
            self._orphans = [hub for hub in orphans if hub.has_unsaved()]
        now = time.monotonic()
        if force or now - self._activity_at >= live_setting("LIVE_ACTIVITY_FLUSH_SECONDS"):
            self._activity_at = now
            deltas = self.activity.take()
            if deltas:
                try:
                    await database_sync_to_async(record_activity)(deltas)
                except Exception as exc:
                    logger.exception("could not write activity counters; kept for the next flush")
                    self.activity.restore(deltas)
                    await record_error_async(exc, where="live flush")

    async def _flush_hubs(self, hubs: list[DocumentHub], *, force: bool) -> None:
        async with self._flush_lock:
            now = time.monotonic()
            taken = []
            entries: dict[uuid.UUID, list[store.LogEntry]] = {}
            snapshots = []
            # A class that started typing together would come due for snapshots together:
            # a few per flush, oldest first, keep each flush (and its GIL time) short.
            budget = int(live_setting("LIVE_SNAPSHOTS_PER_FLUSH"))
            for hub in sorted(hubs, key=lambda h: h.dirty_since if h.dirty_since is not None else float("inf")):
                if hub.meta is None:
                    continue
                items, snapshot = hub.take_pending(now, force=force, snapshot_allowed=budget > 0)
                budget -= snapshot is not None
                if items or snapshot:
                    taken.append((hub, items, snapshot))
                if items:
                    entries[hub.document_id] = items
                if snapshot is not None:
                    snapshots.append(snapshot)
            if not taken:
                return
            try:
                await database_sync_to_async(store.flush)(entries=entries, snapshots=snapshots)
            except Exception as exc:
                logger.exception("could not write %d documents; kept for the next flush", len(taken))
                for hub, items, snapshot in taken:
                    hub.restore(items, snapshot)
                await record_error_async(exc, where="live flush")

    # --- anti-entropy with the other processes ---------------------------------------------

    async def _anti_entropy_loop(self) -> None:
        while True:
            await asyncio.sleep(live_setting("LIVE_ANTI_ENTROPY_SECONDS"))
            try:
                await self.bridge.recheck()
                self.anti_entropy()
            except Exception:
                logger.exception("live anti-entropy round failed")

    def anti_entropy(self) -> None:
        """Probe the other processes for every recently changed document they also hold."""
        active = time.monotonic() - live_setting("LIVE_ANTI_ENTROPY_ACTIVE_SECONDS")
        remote = self.bridge.remote
        for hub in list(self.hubs.values()):
            if hub.meta is not None and not hub.closed and hub.last_change >= active and remote.get(hub.topic):
                hub.probe()

    def resync(self, topics: set[str] | None) -> None:
        """Traffic may have been lost (a failed batch, a Redis reconnect): probe now."""
        for hub in list(self.hubs.values()):
            if hub.meta is not None and not hub.closed and (topics is None or hub.topic in topics):
                hub.probe()

    # --- side work ------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def audit_teacher_edit(self, author: Author, hub: DocumentHub) -> None:
        self._spawn(_audit(author, hub.document_id, hub.participant_id, hub.session_id))


async def _audit(author: Author, document_id: uuid.UUID, participant_id: uuid.UUID, session_id: uuid.UUID) -> None:
    def write() -> None:
        from observer.audit import audit_record
        from sessions.models import Document

        audit_record(
            action="file.teacher_edit", actor=author.principal,
            target=Document.objects.filter(pk=document_id).first(),
            details={"participant_id": str(participant_id), "session_id": str(session_id), "change": "live"},
        )

    try:
        await database_sync_to_async(write)()
    except Exception:
        logger.exception("could not audit a teacher edit")


# --- which registry -------------------------------------------------------------------------

_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveRegistry] = weakref.WeakKeyDictionary()


def default_registry() -> LiveRegistry:
    loop = asyncio.get_running_loop()
    registry = _by_loop.get(loop)
    if registry is None or registry._closed:
        registry = _by_loop[loop] = LiveRegistry()
    return registry


def registry_for(scope: dict[str, Any]) -> LiveRegistry:
    registry = scope.get("live_registry")
    return registry if isinstance(registry, LiveRegistry) else default_registry()


class LiveRegistryMiddleware:
    """Gives every connection of this application the same (its own) registry."""

    def __init__(self, inner: Any, registry: LiveRegistry | None = None) -> None:
        self.inner = inner
        self.registry = registry

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if self.registry is None:
            self.registry = LiveRegistry()
        return await self.inner({**scope, "live_registry": self.registry}, receive, send)
