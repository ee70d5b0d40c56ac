"""A Redis restart in the middle of a typing class: two server "processes" (two live
registries, each with its own Redis connections) relay edits both ways before, during
and after the outage, and once Redis is back every live copy (both processes' hubs,
every editor) converges within the anti-entropy interval.

The Redis here is a private `redis-server` on a free port, started and restarted by
the test (the shared one serves other suites). It keeps no data across the restart,
as a Redis without persistence does: subscriptions, the processes' liveness keys and
ledgers are all gone when it comes back.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.db import connections

from sessions.live.bridge import RedisBridge
from sessions.live.registry import LiveRegistry
from sessions.models import Participant
from tests import live_support
from tests.live_factories import make_document, make_participant
from tests.live_support import Classroom, YClient, build_app, editor

classroom = live_support.classroom  # fixture
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A throwaway redis-server the test may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def restartable_servers(
    settings: Any, private_redis: PrivateRedis
) -> AsyncIterator[tuple[Any, Any, LiveRegistry, LiveRegistry]]:
    url = private_redis.url
    tag = uuid.uuid4().hex[:8]
    settings.REDIS_URL = url
    settings.LIVE_REDIS_PREFIX = f"test-live-{tag}"
    settings.CACHE_PREFIX = f"test-{tag}"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [url], "prefix": f"test-{tag}"}}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": url, "KEY_PREFIX": f"test-{tag}"}}
    settings.SANDBOX_BACKEND = "fake"
    settings.LIVE_FLUSH_SECONDS = 0.1
    settings.LIVE_ANTI_ENTROPY_SECONDS = 1.0
    settings.LIVE_PRESENCE_HEARTBEAT_SECONDS = 0.5
    channel_layers.backends = {}
    a, b = LiveRegistry(), LiveRegistry()
    assert isinstance(a.bridge, RedisBridge) and isinstance(b.bridge, RedisBridge)
    yield build_app(a), build_app(b), a, b
    await a.close()
    await b.close()
    channel_layers.backends = {}
    await database_sync_to_async(connections.close_all)()


async def _type(client: YClient, words: list[str]) -> None:
    """Append one word at a time, as a student types (not waiting for the server)."""
    for word in words:
        await client.type(len(client.text), word)
        await asyncio.sleep(0.02)


async def _drain(clients: list[YClient]) -> None:
    """Read (and answer) whatever the servers sent meanwhile, so no socket backs up."""
    await asyncio.gather(*(c.pump(until=lambda: False, timeout=0.05) for c in clients))


async def test_every_live_copy_converges_after_redis_restarts_mid_typing(
    restartable_servers: Any, classroom: Classroom, private_redis: PrivateRedis
) -> None:
    app_a, app_b, a, b = restartable_servers
    # A second student, typing on B and watched from A: edits cross both ways.
    other = await database_sync_to_async(
        lambda: make_document(participant=make_participant(session=classroom.session), content="")
    )()
    other_owner = await database_sync_to_async(lambda: other.participant.user)()

    typist_a = await editor(app_a, classroom.document, classroom.student)  # types on A
    tab_b = await editor(app_b, classroom.document, classroom.student)  # a second tab, on B
    teacher_b = await editor(app_b, classroom.document, classroom.teacher)
    typist_b = await editor(app_b, other, other_owner)  # types on B
    teacher_a = await editor(app_a, other, classroom.teacher)
    clients = [typist_a, tab_b, teacher_b, typist_b, teacher_a]

    async def phase(tag: str) -> None:
        words = [f"{tag}{i} " for i in range(10)]
        await asyncio.gather(_type(typist_a, words), _type(typist_b, [w.upper() for w in words]))
        await _drain(clients)

    await phase("before")
    private_redis.stop()
    await phase("down")
    await asyncio.sleep(1.0)  # a few seconds of outage, with typing in it
    await phase("stilldown")
    await asyncio.to_thread(private_redis.start)
    await phase("after")

    first, second = typist_a.text, typist_b.text
    assert "stilldown9" in first and "AFTER9" in second  # the typists' own copies hold it all
    # Both bridges find Redis again (redis-py reconnects the subscription by itself) ...
    await _until(lambda: a.bridge._confirmed and b.bridge._confirmed, clients, timeout=15)
    # ... and from then on, within the anti-entropy interval (plus a round's travel),
    # every copy on both processes holds everything typed.
    await _until(
        lambda: a.hubs[classroom.document.pk].text == b.hubs[classroom.document.pk].text == first
        and a.hubs[other.pk].text == b.hubs[other.pk].text == second
        and tab_b.text == teacher_b.text == first and teacher_a.text == second,
        clients, timeout=2 * 1.0 + 1.0,
    )
    # New typing crosses at once again (no anti-entropy round needed).
    await typist_a.type(len(typist_a.text), "again")
    await _until(lambda: tab_b.text == typist_a.text, clients, timeout=0.9)

    # The restart did not make the students look connected twice.
    await asyncio.sleep(1.2)  # a couple of heartbeats against the emptied Redis
    counts = await database_sync_to_async(
        lambda: dict(Participant.objects.filter(session=classroom.session).values_list("pk", "connections"))
    )()
    assert counts == {classroom.participant.pk: 2, other.participant_id: 1}
    for client in clients:
        await client.comm.disconnect()


async def _until(condition: Any, clients: list[YClient], *, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "the live copies did not converge"
        await _drain(clients)
