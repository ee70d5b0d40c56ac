"""Which server process this is, and whether another one still runs: what a run's
owner (coding) and a live connection's counter (sessions' presence ledger) are tied
to, so that what a dead process left behind can be told from what a living one holds.

A process is alive while its `alive` key exists in Redis (refreshed by the presence
heartbeat every LIVE_PRESENCE_HEARTBEAT_SECONDS, expiring after three); on the same
machine a process whose pid is gone is dead whatever Redis says. Without Redis there
is one server process, and another machine's cannot be told.

Synchronous (Redis): call through a thread from the event loop.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from typing import Any

from django.conf import settings

logger = logging.getLogger("observer.live")

PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
DEFAULT_PREFIX = "observer-live"
DEFAULT_HEARTBEAT_SECONDS = 10.0

_client: Any = None
_announced_in: str | None = None


def redis_url() -> str:
    return str(getattr(settings, "REDIS_URL", "") or "")


def redis_client() -> Any:
    global _client
    if _client is None or getattr(_client, "_observer_url", None) != redis_url():
        import redis

        _client = redis.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
        _client._observer_url = redis_url()
    return _client


def key_prefix() -> str:
    return f"{getattr(settings, 'LIVE_REDIS_PREFIX', DEFAULT_PREFIX)}:presence"


def alive_key(process: str = PROCESS) -> str:
    return f"{key_prefix()}:alive:{process}"


def alive_ttl() -> int:
    heartbeat = float(getattr(settings, "LIVE_PRESENCE_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))
    return max(1, round(3 * heartbeat))


def ensure_alive() -> None:
    """Announce this process as alive before it owns something on record (a run)."""
    global _announced_in
    if not redis_url() or _announced_in == alive_key():
        return
    try:
        redis_client().set(alive_key(), "1", ex=alive_ttl())
        _announced_in = alive_key()
    except Exception:
        logger.warning("could not announce this process as alive in Redis", exc_info=True)


def refresh() -> None:
    """Keep this process known as alive (observer.periodic, every heartbeat): a process
    with no live connection (the presence heartbeat's) still owns runs and queued work."""
    global _announced_in
    if not redis_url():
        return
    try:
        redis_client().set(alive_key(), "1", ex=alive_ttl())
        _announced_in = alive_key()
    except Exception:
        logger.warning("could not announce this process as alive in Redis", exc_info=True)


def is_alive(process: str) -> bool | None:
    """Whether the server process `process` (a PROCESS string) still runs; None when
    that cannot be told (another machine, no Redis)."""
    if process == PROCESS:
        return True
    try:
        host, pid, _token = process.rsplit(":", 2)
        number = int(pid)
    except ValueError:
        return None
    here = host == socket.gethostname()
    if here and not _pid_exists(number):
        return False
    if redis_url():
        try:
            return bool(redis_client().exists(alive_key(process)))
        except Exception:
            logger.warning("could not tell whether %s is alive", process, exc_info=True)
            return None
    return True if here else None


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
