"""Losing a process or its Redis connection loses no edit: a student whose server dies
mid-stream reconnects to the other one and nothing is missing, and a process whose
subscription to Redis dropped resynchronises as soon as it is back (real Redis)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sessions.live.registry import LiveRegistry
from sessions.models import Document
from tests import live_support
from tests.live_support import Classroom, YClient, editor, hub_has, open_socket

classroom = live_support.classroom  # fixture
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


async def _crash(registry: LiveRegistry) -> None:
    """Stop a registry the way a killed process stops: nothing more is written or sent."""
    registry._closed = True
    for task in (registry._flusher, registry._syncer):
        if task is not None:
            task.cancel()
    for hub in registry.hubs.values():
        hub.stop_timers()
    await registry.bridge.close()


async def test_it_fails_over_to_the_other_process_without_loss(
    servers: Any, classroom: Classroom, settings: Any
) -> None:
    app_a, app_b, a, b = servers
    settings.LIVE_FLUSH_SECONDS = 3600  # A dies before it writes anything
    student = await editor(app_a, classroom.document, classroom.student)
    teacher = await editor(app_b, classroom.document, classroom.teacher)
    typed = "".join(f"line {i}\n" for i in range(20))
    for i, ch in enumerate(typed):  # sent without waiting for the server: frames in flight
        await student.type(len(student.text), ch)
        if i % 10 == 0:
            await asyncio.sleep(0.001)
    got = a.hubs[classroom.document.pk].text
    assert got != "print('hi')\n" + typed and got.startswith("print('hi')\nline 0")  # mid-stream
    student.comm.future.cancel()  # A is killed ...
    await _crash(a)

    back = YClient(await open_socket(app_b, f"/ws/documents/{classroom.document.pk}/", classroom.student),
                   doc=student.doc)
    await back.handshake()  # ... the student's editor reconnects to B
    expected = "print('hi')\n" + typed
    await hub_has(b, classroom.document, expected)
    assert await teacher.wait_text(expected) == expected
    await back.comm.disconnect()
    await teacher.comm.disconnect()
    await b.flush(force=True)
    stored = await database_sync_to_async(Document.objects.get)(pk=classroom.document.pk)
    assert stored.content == expected


async def test_it_resyncs_after_its_redis_subscription_reconnects(
    servers: Any, classroom: Classroom, settings: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis.asyncio as aioredis

    app_a, app_b, a, b = servers
    settings.LIVE_ANTI_ENTROPY_SECONDS = 3600  # only the reconnect may bring it back
    student = await editor(app_a, classroom.document, classroom.student)
    teacher = await editor(app_b, classroom.document, classroom.teacher)
    deaf = {"on": True}
    deliver = b.bridge.deliver
    monkeypatch.setattr(b.bridge, "deliver", lambda topic, payload: None if deaf["on"] else deliver(topic, payload))
    await student.type(0, "# said while B was not listening\n")
    await asyncio.sleep(0.3)
    assert teacher.text == "print('hi')\n"
    deaf["on"] = False

    # Drop B's subscription connection the way a network blip would.
    host, port = b.bridge._pubsub.connection._writer.get_extra_info("sockname")[:2]
    admin = aioredis.Redis.from_url(redis_url)
    assert await admin.client_kill_filter(_type="pubsub", addr=f"{host}:{port}") == 1
    await admin.aclose()
    expected = "# said while B was not listening\nprint('hi')\n"
    assert await teacher.wait_text(expected, timeout=5) == expected
    await student.comm.disconnect()
    await teacher.comm.disconnect()



async def test_a_document_moves_to_the_other_process_when_its_owner_stops_mid_typing(
    servers: Any, classroom: Classroom, settings: Any
) -> None:
    """Affinity's failover: the document lived on A alone (its student's tabs there),
    A is stopped (as systemd stops it) while the student types, the editor reconnects
    and lands on B, which had never opened the document; nothing typed is lost."""
    app_a, app_b, a, b = servers
    settings.LIVE_FLUSH_SECONDS = 3600  # only A's shutdown flush writes what it holds
    student = await editor(app_a, classroom.document, classroom.student)
    tab = await editor(app_a, classroom.document, classroom.student)
    assert classroom.document.pk not in b.hubs
    typed = "".join(f"x{i} = {i}\n" for i in range(15))
    half = len(typed) // 2
    for ch in typed[:half]:
        await student.type(len(student.text), ch)
    await hub_has(a, classroom.document, "print('hi')\n" + typed[:half])
    stopping = asyncio.ensure_future(a.close())  # the owner stops ...
    for i, ch in enumerate(typed[half:]):  # ... while the student keeps typing to it
        await student.type(len(student.text), ch)
        if i == 2:
            await asyncio.sleep(0)  # the stop begins between keystrokes
    await stopping
    student.comm.future.cancel()
    tab.comm.future.cancel()

    back = YClient(await open_socket(app_b, f"/ws/documents/{classroom.document.pk}/", classroom.student),
                   doc=student.doc)
    await back.handshake()  # the editor reconnects: B loads what A wrote, takes the rest as step 2
    expected = "print('hi')\n" + typed
    await hub_has(b, classroom.document, expected)
    await back.comm.disconnect()
    await b.flush(force=True)
    stored = await database_sync_to_async(Document.objects.get)(pk=classroom.document.pk)
    assert stored.content == expected
