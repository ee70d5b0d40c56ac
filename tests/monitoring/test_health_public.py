"""/health (public): "ok" only while the database, the cache, Redis and the channel
layer all answer; a server that lost Redis cannot do live sync, so it says 503."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from monitoring import health
from tests.monitoring.test_health import closed_port

pytestmark = pytest.mark.django_db

LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
IN_MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def dead_redis() -> str:
    return f"redis://127.0.0.1:{closed_port()}/7"


def redis_layer(url: str) -> dict[str, Any]:
    return {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [url]}}}


def public_health() -> tuple[int, bytes]:
    response = Client().get("/health")
    return response.status_code, response.content


@override_settings(MONITORING_CHECK_TIMEOUT_SECONDS=2)
def test_it_answers_503_publicly_when_redis_is_down() -> None:
    url = dead_redis()
    with override_settings(
        REDIS_URL=url, CHANNEL_LAYERS=redis_layer(url),
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}},
    ):  # fmt: skip
        assert public_health() == (503, b"unhealthy\n")


@override_settings(MONITORING_CHECK_TIMEOUT_SECONDS=2, REDIS_URL="", CACHES=LOCAL_CACHE)
def test_it_answers_503_publicly_when_only_the_channel_layer_is_down() -> None:
    with override_settings(CHANNEL_LAYERS=redis_layer(dead_redis())):
        assert public_health() == (503, b"unhealthy\n")
    with override_settings(CHANNEL_LAYERS=IN_MEMORY_LAYER):
        assert public_health() == (200, b"ok\n")


@override_settings(MONITORING_CHECK_TIMEOUT_SECONDS=2, CACHES=LOCAL_CACHE, CHANNEL_LAYERS=IN_MEMORY_LAYER)
def test_it_answers_503_publicly_when_the_redis_url_does_not_answer() -> None:
    with override_settings(REDIS_URL=dead_redis()):
        assert public_health() == (503, b"unhealthy\n")


def test_it_answers_503_publicly_when_a_check_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    async def never_answers() -> dict[str, Any]:
        import asyncio

        await asyncio.sleep(30)
        return {}

    monkeypatch.setattr(health, "check_channel_layer", never_answers)
    with override_settings(MONITORING_CHECK_TIMEOUT_SECONDS=0.2):
        assert public_health() == (503, b"unhealthy\n")


@override_settings(MONITORING_SLOW_CHECK_MS=-1)
def test_it_still_says_ok_publicly_when_dependencies_are_only_slow() -> None:
    assert public_health() == (200, b"ok\n")


def test_it_leaves_the_sandbox_and_machine_load_out_of_the_public_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken_sandbox() -> dict[str, Any]:
        raise health.CheckFailed("bubblewrap is not installed")

    monkeypatch.setattr(health, "check_sandbox", broken_sandbox)
    monkeypatch.setattr(health.resources, "cpu_percent", lambda: 99.0)
    assert public_health() == (200, b"ok\n")
