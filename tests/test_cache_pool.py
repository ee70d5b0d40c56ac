"""Django's cache on Redis shares one connection pool per process (observer.cache):
Django makes a cache backend per async context, and each made its own pool, so a run
on the event loop opened a connection to Redis for its rate counter. The settings name
this pool class whenever REDIS_URL is set (tests/accounts/test_settings_environment.py)."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache

from tests.conftest import real_redis_url


def _backend(**options: Any) -> RedisCache:
    return RedisCache(real_redis_url(), {"OPTIONS": options, "KEY_PREFIX": "pool-test"})


def _pool(backend: RedisCache) -> object:
    return backend._cache._get_connection_pool(True)  # type: ignore[attr-defined]


def test_backends_of_different_contexts_share_one_pool() -> None:
    shared = {"pool_class": "observer.cache.SharedConnectionPool", "socket_timeout": 5}
    first, second = _backend(**shared), _backend(**shared)
    assert _pool(first) is _pool(second)
    first.set("shared-pool-check", 1)
    assert second.get("shared-pool-check") == 1
    assert _pool(_backend(pool_class="observer.cache.SharedConnectionPool", socket_timeout=1)) is not _pool(first)


def test_without_it_each_backend_has_a_pool_of_its_own() -> None:
    """What Django does by default (and the reason for the class)."""
    assert _pool(_backend()) is not _pool(_backend())
