"""Fixtures of the cross-process suites: the real Redis, and two server "processes"
(two ASGI applications, each with its own live registry and Redis connections)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.db import connections

from coding import limits
from sessions.live.bridge import RedisBridge
from sessions.live.registry import LiveRegistry
from tests.live_support import build_app


@pytest.fixture
async def servers(settings: Any, redis_url: str) -> AsyncIterator[tuple[Any, Any, LiveRegistry, LiveRegistry]]:
    tag = uuid.uuid4().hex[:8]
    settings.REDIS_URL = redis_url
    settings.LIVE_REDIS_PREFIX = f"test-live-{tag}"
    settings.CACHE_PREFIX = f"test-{tag}"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [redis_url], "prefix": f"test-{tag}"}}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": redis_url, "KEY_PREFIX": f"test-{tag}"}}
    settings.SANDBOX_BACKEND = "fake"
    settings.RUN_LIMITS = {"max_concurrent": 1, "runs_per_window": 50, "queue_poll_seconds": 0.05}
    settings.LIVE_FLUSH_SECONDS = 0.05
    channel_layers.backends = {}
    limits._slots = None
    a, b = LiveRegistry(), LiveRegistry()
    assert isinstance(a.bridge, RedisBridge) and isinstance(b.bridge, RedisBridge)
    yield build_app(a), build_app(b), a, b
    await a.close()
    await b.close()
    for layer in channel_layers.backends.values():
        await layer.flush()
    channel_layers.backends = {}
    limits._slots = None
    await database_sync_to_async(connections.close_all)()
