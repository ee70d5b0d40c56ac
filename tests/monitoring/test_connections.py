"""Open WebSocket connections counted across server processes through Redis."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from monitoring import connections
from observer import signals as observer_signals

pytestmark = [pytest.mark.redis]


@pytest.fixture(autouse=True)
def _real_redis(settings: Any, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[None]:
    settings.REDIS_URL = redis_url  # in both passes: the SQLite one has no REDIS_URL of its own
    key = f"test-{uuid.uuid4().hex[:8]}:monitoring:connections"  # no other run's processes in it
    monkeypatch.setattr(connections, "hash_key", lambda: key)
    counted = dict(connections._counts)
    yield
    connections._client().delete(key)
    with connections._lock:  # the connections these tests opened by hand are not left counted
        connections._counts.clear()
        connections._counts.update(counted)


def publish_as(process: str, counts: dict[str, int], *, age: float = 0.0) -> None:
    payload = json.dumps({"at": time.time() - age, "counts": counts})
    connections._client().hset(connections.hash_key(), process, payload)


def test_it_adds_other_live_processes_and_forgets_dead_ones() -> None:
    connections.opened("terminal")
    publish_as("web-2:4242", {"terminal": 3, "document": 5})
    publish_as("web-3:77", {"terminal": 100}, age=10 * connections._heartbeat())  # stopped refreshing: dead
    connections._client().hset(connections.hash_key(), "garbage", b"not json")

    assert connections.connection_counts() == {"terminal": 4, "document": 5}


@pytest.mark.django_db(transaction=True)
async def test_it_publishes_this_process_s_counts_for_the_others() -> None:
    client = connections._client()

    async def published() -> dict[str, int]:
        raw = await asyncio.to_thread(client.hget, connections.hash_key(), connections.PROCESS_ID)
        return dict(json.loads(raw)["counts"]) if raw else {}

    async def eventually(expected: dict[str, int]) -> None:
        for _ in range(100):
            if await published() == expected:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"Redis never showed {expected}; it shows {await published()}")

    await observer_signals.websocket_connected.asend(sender=None, kind="document")
    await observer_signals.websocket_connected.asend(sender=None, kind="session")
    await eventually({"document": 1, "session": 1})
    await observer_signals.websocket_disconnected.asend(sender=None, kind="document")
    await observer_signals.websocket_disconnected.asend(sender=None, kind="session")
    await eventually({})
