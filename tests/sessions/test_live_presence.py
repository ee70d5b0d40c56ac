"""Presence survives a crashed server process: with Redis, the connections of a process
that stopped beating are taken off by another one (exactly once) and its students go
offline; a process taken for dead puts its counts back; a process that shuts down
takes its own off; without Redis, the first count of a new process clears what the
previous one left."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from sessions.events import session_group
from sessions.live import ledger, presence
from sessions.models import Participant
from tests import live_support
from tests.live_support import Classroom, editor, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


def _connections(participant_id: Any) -> int:
    return int(Participant.objects.get(pk=participant_id).connections)


@pytest.fixture
def on_redis(settings: Any, redis_url: str) -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=3)
    settings.REDIS_URL = redis_url
    settings.LIVE_REDIS_PREFIX = f"test-presence-{uuid.uuid4().hex[:8]}"
    yield client
    for key in client.scan_iter(f"{settings.LIVE_REDIS_PREFIX}:*"):
        client.delete(key)
    ledger.stopped()


def _ghost(client: Any, prefix: str, participant_id: Any, *, alive: bool) -> str:
    """Another process's ledger: it counted one connection of `participant_id`."""
    process = f"elsewhere:{uuid.uuid4().int % 10**6}:{uuid.uuid4().hex[:8]}"
    client.sadd(f"{prefix}:presence:processes", process)
    client.hset(f"{prefix}:presence:ledger:{process}", str(participant_id), 1)
    if alive:
        client.set(f"{prefix}:presence:alive:{process}", "1", ex=60)
    return process


async def test_it_takes_a_dead_processs_connections_off(classroom: Classroom, on_redis: Any, settings: Any) -> None:
    prefix = settings.LIVE_REDIS_PREFIX
    pid = classroom.participant.pk
    await database_sync_to_async(Participant.objects.filter(pk=pid).update)(connections=2)
    dead = _ghost(on_redis, prefix, pid, alive=False)
    _ghost(on_redis, prefix, pid, alive=True)
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(session_group(classroom.session.pk, "teachers"), channel)

    await database_sync_to_async(presence.heartbeat)()
    assert await database_sync_to_async(_connections)(pid) == 1  # the living process's one stays
    assert not on_redis.sismember(f"{prefix}:presence:processes", dead)
    assert not on_redis.exists(f"{prefix}:presence:ledger:{dead}")
    await database_sync_to_async(presence.heartbeat)()  # claimed once: no second decrement
    assert await database_sync_to_async(_connections)(pid) == 1

    on_redis.delete(*on_redis.keys(f"{prefix}:presence:alive:*"))  # the other one dies too
    await database_sync_to_async(presence.heartbeat)()
    assert await database_sync_to_async(_connections)(pid) == 0
    event = (await layer.receive(channel))["event"]
    assert event == {"type": "presence", "participant_id": str(pid), "online": False}
    assert (await layer.receive(channel))["event"]["type"] == "participant.left"


async def test_it_puts_its_counts_back_when_it_was_taken_for_dead(
    app: object, classroom: Classroom, on_redis: Any, settings: Any
) -> None:
    prefix = settings.LIVE_REDIS_PREFIX
    pid = classroom.participant.pk
    student = await editor(app, classroom.document, classroom.student)
    assert on_redis.hget(f"{prefix}:presence:ledger:{ledger.PROCESS}", str(pid)) == b"1"
    # This process stalled past its expiry, and another one swept it (as claim_dead does):
    on_redis.srem(f"{prefix}:presence:processes", ledger.PROCESS)
    on_redis.delete(f"{prefix}:presence:ledger:{ledger.PROCESS}")
    on_redis.set(f"{prefix}:presence:swept:{ledger.PROCESS}", "1")
    await database_sync_to_async(presence._take_off)({pid: 1})
    assert await database_sync_to_async(_connections)(pid) == 0
    await database_sync_to_async(presence.heartbeat)()  # its next beat finds out
    assert await database_sync_to_async(_connections)(pid) == 1
    await student.comm.disconnect()
    assert await database_sync_to_async(_connections)(pid) == 0


async def test_it_does_not_count_twice_when_redis_forgot_it(
    app: object, classroom: Classroom, on_redis: Any, settings: Any
) -> None:
    prefix = settings.LIVE_REDIS_PREFIX
    pid = classroom.participant.pk
    student = await editor(app, classroom.document, classroom.student)
    # Redis restarted without persistence: this process's registration and ledger are
    # gone, but nobody swept it (its counts are still in the database).
    on_redis.srem(f"{prefix}:presence:processes", ledger.PROCESS)
    on_redis.delete(f"{prefix}:presence:ledger:{ledger.PROCESS}", f"{prefix}:presence:alive:{ledger.PROCESS}")
    await database_sync_to_async(presence.heartbeat)()
    assert await database_sync_to_async(_connections)(pid) == 1
    assert on_redis.hget(f"{prefix}:presence:ledger:{ledger.PROCESS}", str(pid)) == b"1"  # registered again
    await student.comm.disconnect()
    assert await database_sync_to_async(_connections)(pid) == 0


async def test_it_takes_its_own_connections_off_when_it_stops(app: object, classroom: Classroom) -> None:
    pid = classroom.participant.pk
    comm = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.student)
    student = await editor(app, classroom.document, classroom.student)
    await _eventually(lambda: _connections(pid) == 2)
    await database_sync_to_async(presence.process_stopped)()
    assert await database_sync_to_async(_connections)(pid) == 0
    await student.comm.disconnect()  # closing afterwards takes nothing more off
    await comm.disconnect()
    assert await database_sync_to_async(_connections)(pid) == 0


async def test_it_clears_counts_a_previous_process_left_without_redis(
    app: object, classroom: Classroom, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.REDIS_URL = ""
    pid = classroom.participant.pk
    await database_sync_to_async(Participant.objects.filter(pk=pid).update)(connections=3)  # a crash left these
    monkeypatch.setattr(ledger, "_reset_done", False)  # a fresh process
    comm = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.student)
    await _eventually(lambda: _connections(pid) == 1)
    await comm.disconnect()
    assert await database_sync_to_async(_connections)(pid) == 0


async def _eventually(check: Any, timeout: float = 3) -> None:
    for _ in range(int(timeout / 0.02)):
        if await database_sync_to_async(check)():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")
