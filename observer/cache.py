"""One Redis connection pool per server process for Django's cache.

Django keeps a cache backend per async context (its connection handler is a
context-local), and each RedisCache backend makes its own connection pool: on the
event loop every task that touched the cache (a run counting against its window, a
join's rate limit) opened a fresh pool and a fresh TCP connection to Redis, about a
millisecond of CPU each. Named as the backend's `pool_class` (settings.CACHES), this
pool is shared by every backend instance with the same URL and options; redis-py's
pools are thread-safe and start over after a fork.
"""

from __future__ import annotations

import threading
from typing import Any

import redis

_shared: dict[tuple[str, str], redis.ConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        key = (url, repr(sorted(kwargs.items(), key=lambda item: item[0])))
        with _lock:
            pool = _shared.get(key)
            if pool is None:
                pool = _shared[key] = super().from_url(url, **kwargs)
            return pool
