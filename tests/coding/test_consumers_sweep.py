"""Runs left `running` by a server process that died end as killed, with a message and
a run.ended for the teachers; a living process's runs (this one, another one on this
machine, one on another machine that still beats in Redis) are never touched. The
first terminal socket of a process sweeps."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from coding import sweeper
from coding.models import Execution
from sessions.events import session_group
from sessions.live import ledger
from tests import live_support
from tests.live_support import Classroom, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]
HOST = socket.gethostname()


DEAD_PID = 4_194_305  # above the kernel's largest possible pid: no such process

def _running(classroom: Classroom, owner: str, *, age: timedelta = timedelta(minutes=1)) -> Execution:
    return Execution.objects.create(
        participant=classroom.participant, session=classroom.session, user=classroom.student, language="python",
        status="running", owner=owner, started_at=timezone.now() - age,
    )


def _statuses() -> dict[str, tuple[str, str]]:
    return {row.owner or "unowned": (row.status, row.message) for row in Execution.objects.all()}


async def test_it_ends_only_the_runs_of_processes_that_died(classroom: Classroom, settings: Any) -> None:
    settings.REDIS_URL = ""  # only what this machine can tell
    dead_here = f"{HOST}:{DEAD_PID}:abcdef01"
    alive_here = f"{HOST}:{os.getppid()}:abcdef02"  # our parent: a live process on this machine
    elsewhere = "another-machine:123:abcdef03"  # without Redis nobody can tell: left alone

    def make() -> None:
        for owner in (dead_here, alive_here, elsewhere, ledger.PROCESS):
            _running(classroom, owner)
        _running(classroom, "", age=timedelta(hours=7))  # from before runs had owners

    await database_sync_to_async(make)()
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(session_group(classroom.session.pk, "teachers"), channel)

    assert await database_sync_to_async(sweeper.executions_sweep)() == 2
    statuses = await database_sync_to_async(_statuses)()
    assert statuses[dead_here] == ("killed", sweeper.ORPHANED_MESSAGE)
    assert statuses["unowned"] == ("killed", sweeper.ORPHANED_MESSAGE)
    assert {statuses[o][0] for o in (alive_here, elsewhere, ledger.PROCESS)} == {"running"}
    ended = [(await layer.receive(channel))["event"] for _ in range(2)]
    assert {e["type"] for e in ended} == {"run.ended"} and {e["status"] for e in ended} == {"killed"}
    assert await database_sync_to_async(sweeper.executions_sweep)() == 0  # nothing left to end


async def test_it_asks_redis_about_processes_on_other_machines(
    classroom: Classroom, settings: Any, redis_url: str
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=3)
    settings.REDIS_URL = redis_url
    settings.LIVE_REDIS_PREFIX = prefix = f"test-sweep-{uuid.uuid4().hex[:8]}"
    beating, silent = "machine-a:10:abcdef04", "machine-b:11:abcdef05"
    client.set(f"{prefix}:presence:alive:{beating}", "1", ex=60)
    try:
        await database_sync_to_async(lambda: [_running(classroom, o) for o in (beating, silent)])()
        assert await database_sync_to_async(sweeper.executions_sweep)() == 1
        statuses = await database_sync_to_async(_statuses)()
        assert statuses[beating][0] == "running" and statuses[silent][0] == "killed"
    finally:
        client.delete(f"{prefix}:presence:alive:{beating}")


async def test_it_sweeps_when_a_fresh_process_opens_its_first_terminal(
    app: object, classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    orphan = await database_sync_to_async(_running)(classroom, f"{HOST}:{DEAD_PID}:abcdef06")
    monkeypatch.setattr(sweeper, "_swept_at", 0.0)  # no sweep yet in this process
    comm = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    for _ in range(100):
        if (await database_sync_to_async(Execution.objects.get)(pk=orphan.pk)).status == "killed":
            break
        await asyncio.sleep(0.02)
    assert (await database_sync_to_async(Execution.objects.get)(pk=orphan.pk)).status == "killed"
    await comm.disconnect()
