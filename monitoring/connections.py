"""Open WebSocket connections by kind, counted across every server process.

Each process counts its own connections in memory (the live layer's consumers send
``websocket_connected``/``websocket_disconnected``). With Redis, a small task on the
process's event loop publishes those counts into one Redis hash (a field per process,
stamped with the time) right after each change and every heartbeat; readers add up the
fields that are fresh. A process that dies stops refreshing its field, so its
connections drop out of the totals after three heartbeats instead of being counted
forever (which a shared INCR/DECR counter would do). Without Redis there is one
process and its own counts are the totals.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections import Counter
from typing import Any

from django.conf import settings

from monitoring.conf import conf

logger = logging.getLogger("observer.monitoring")

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}"
_lock = threading.Lock()
_counts: Counter[str] = Counter()
_publisher: _Publisher | None = None
_sync_client: Any = None


def redis_url() -> str:
    return str(getattr(settings, "REDIS_URL", "") or "")


def hash_key() -> str:
    prefix = settings.CACHES.get("default", {}).get("KEY_PREFIX") or "observer"
    return f"{prefix}:monitoring:connections"


def _heartbeat() -> float:
    return float(conf("MONITORING_CONNECTIONS_HEARTBEAT_SECONDS"))


def opened(kind: str) -> None:
    with _lock:
        _counts[kind] += 1
    _publish_soon()


def closed(kind: str) -> None:
    with _lock:
        if _counts[kind] > 0:
            _counts[kind] -= 1
    _publish_soon()


def local_counts() -> dict[str, int]:
    with _lock:
        return {kind: n for kind, n in _counts.items() if n > 0}


def connection_counts() -> dict[str, int]:
    """Open connections by kind over all live processes (blocking: call it off the event loop)."""
    totals: Counter[str] = Counter(local_counts())
    if not redis_url():
        return dict(totals)
    try:
        fields = _client().hgetall(hash_key())
    except Exception:  # Redis down: this process's own figures still stand
        logger.warning("could not read WebSocket counts from Redis", exc_info=True)
        return dict(totals)
    oldest = time.time() - 3 * _heartbeat()
    for process, raw in fields.items():
        if process.decode() == PROCESS_ID:
            continue
        try:
            entry = json.loads(raw)
            if float(entry["at"]) >= oldest:
                totals.update({str(k): int(v) for k, v in entry["counts"].items()})
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return {kind: n for kind, n in totals.items() if n > 0}


def _client() -> Any:
    global _sync_client
    if _sync_client is None or getattr(_sync_client, "_observer_url", None) != redis_url():
        import redis

        _sync_client = redis.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
        _sync_client._observer_url = redis_url()
    return _sync_client


def _publish_soon() -> None:
    """Wake (or start) this process's publisher; without a running loop or Redis, nothing to do."""
    global _publisher
    if not redis_url():
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    publisher = _publisher
    if publisher is None or publisher.loop is not loop or publisher.task.done():
        publisher = _publisher = _Publisher(loop)
    publisher.wake.set()


class _Publisher:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.wake = asyncio.Event()
        self.task = loop.create_task(self.run(), name="observer-connection-counts")

    async def run(self) -> None:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=_heartbeat())
                self.wake.clear()
                counts = local_counts()
                try:
                    if counts:
                        payload = json.dumps({"at": time.time(), "counts": counts})
                        await client.hset(hash_key(), PROCESS_ID, payload)
                    else:
                        await client.hdel(hash_key(), PROCESS_ID)
                except Exception:  # Redis down: retry at the next heartbeat
                    logger.warning("could not publish WebSocket counts to Redis", exc_info=True)
                    continue
                if not counts and not self.wake.is_set():
                    return  # nothing open: the next connection starts a new publisher
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()
