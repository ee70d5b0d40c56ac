"""A server process's housekeeping: every registered job runs on its own, again and
again, each run in a thread of its own (never on the event loop), started once per
loop by the first scope the process serves; a failing run does not stop the job."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from observer import periodic


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> dict[str, periodic.Job]:
    registered: dict[str, periodic.Job] = {}
    monkeypatch.setattr(periodic, "JOBS", registered)
    monkeypatch.setattr(periodic, "_started_on", None)
    return registered


async def _stop() -> None:
    for task in list(periodic._tasks):
        task.cancel()
    await asyncio.gather(*periodic._tasks, return_exceptions=True)


async def test_it_runs_each_job_repeatedly_off_the_loop(jobs: dict[str, periodic.Job]) -> None:
    loop_thread = threading.get_ident()
    ran: list[int] = []

    def job() -> None:
        ran.append(threading.get_ident())
        if len(ran) == 1:
            raise RuntimeError("a bad turn")  # logged; the next turn comes all the same

    periodic.register("test", lambda: 0.5, job)
    try:
        assert periodic.start() is True
        assert periodic.start() is False  # once per loop
        for _ in range(200):
            if len(ran) >= 3:
                break
            await asyncio.sleep(0.05)
        assert len(ran) >= 3 and loop_thread not in ran
    finally:
        await _stop()


async def test_the_first_scope_starts_them(jobs: dict[str, periodic.Job], settings: Any) -> None:
    ran = threading.Event()
    periodic.register("test", lambda: 60, ran.set)
    served: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        served.append(scope["type"])

    try:
        await periodic.Start(app)({"type": "http"}, None, None)
        assert served == ["http"]
        assert await asyncio.to_thread(ran.wait, 30)
    finally:
        await _stop()


async def test_they_can_be_turned_off(jobs: dict[str, periodic.Job], settings: Any) -> None:
    settings.PERIODIC_JOBS = False
    periodic.register("test", lambda: 0.5, lambda: None)
    assert periodic.start() is False and not periodic._tasks


def test_the_apps_register_their_housekeeping() -> None:
    assert {"alive", "sweep", "webhooks"} <= set(periodic.JOBS)


@pytest.mark.redis
def test_a_process_keeps_itself_known_as_alive(settings: Any, redis_url: str) -> None:
    """The "alive" job: a server process with no live socket (the presence heartbeat's)
    still owns runs and queued work; without it, its key expired after three heartbeats
    and other processes' sweeps took it for dead."""
    import uuid

    import redis

    from observer import liveness

    settings.REDIS_URL = redis_url
    settings.LIVE_REDIS_PREFIX = f"test-alive-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url, socket_timeout=3)
    try:
        periodic.JOBS["alive"].run()
        assert 0 < client.ttl(liveness.alive_key()) <= liveness.alive_ttl()
        client.delete(liveness.alive_key())  # as if it had expired
        periodic.JOBS["alive"].run()
        assert client.exists(liveness.alive_key())
    finally:
        client.delete(liveness.alive_key())
