"""Two server processes (two registries, the in-process broker playing Redis) stay in
step when the bridge loses traffic: a failed batch is retried once, and whatever is
lost anyway (insertions or deletions) is made up by anti-entropy; what only the
receiving process holds is written by it too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connections

from sessions.live.registry import LiveRegistry
from sessions.models import Document
from tests import live_support
from tests.live_support import Classroom, build_app, editor, hub_has

classroom = live_support.classroom  # fixture
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
async def pair(settings: Any) -> AsyncIterator[tuple[LiveRegistry, LiveRegistry]]:
    settings.LIVE_FLUSH_SECONDS = 0.05
    settings.LIVE_ANTI_ENTROPY_SECONDS = 3600  # each test turns it on when it wants it
    settings.LIVE_BRIDGE_RETRY_SECONDS = 0.05
    a, b = LiveRegistry(), LiveRegistry()
    yield a, b
    await a.close()
    await b.close()
    await database_sync_to_async(connections.close_all)()


def lose_batches(registry: LiveRegistry, monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """While `switch["lose"]`, batches from `registry` vanish (Redis said it published them)."""
    switch = {"lose": True}
    original = registry.bridge._publish_batch

    async def lossy(batch: dict[str, bytes]) -> dict[str, int]:
        if switch["lose"]:
            return dict.fromkeys(batch, 1)
        return await original(batch)

    monkeypatch.setattr(registry.bridge, "_publish_batch", lossy)
    return switch


async def test_it_makes_up_a_lost_batch_by_anti_entropy(
    pair: tuple[LiveRegistry, LiveRegistry], classroom: Classroom, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    student = await editor(build_app(a), classroom.document, classroom.student)
    teacher = await editor(build_app(b), classroom.document, classroom.teacher)
    switch = lose_batches(a, monkeypatch)
    for ch in "lost ":
        await student.type(len(student.text), ch)
    await asyncio.sleep(0.2)
    assert teacher.text == "print('hi')\n"  # B never heard of it
    switch["lose"] = False
    await student.type(len(student.text), "!")  # depends on what B lacks: stays pending there
    await asyncio.sleep(0.2)
    assert b.hubs[classroom.document.pk].text == "print('hi')\n"

    settings.LIVE_ANTI_ENTROPY_SECONDS = 0.1
    a._syncer.cancel()  # restart the loops with the new interval
    a._syncer = asyncio.get_running_loop().create_task(a._anti_entropy_loop())
    assert await teacher.wait_text(student.text) == "print('hi')\nlost !"
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_makes_up_a_lost_deletion(
    pair: tuple[LiveRegistry, LiveRegistry], classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deletion adds nothing to a state vector: only the delete set in the probe shows it."""
    from sessions.live import protocol, ydoc

    a, b = pair
    student = await editor(build_app(a), classroom.document, classroom.student)
    teacher = await editor(build_app(b), classroom.document, classroom.teacher)
    switch = lose_batches(a, monkeypatch)
    before = student.doc.get_state()
    del ydoc.text_type(student.doc)[0:6]  # "print(" goes
    await student.comm.send_to(bytes_data=protocol.sync_update(student.doc.get_update(before)))
    await hub_has(a, classroom.document, "'hi')\n")
    switch["lose"] = False
    assert teacher.text == "print('hi')\n"
    a.anti_entropy()  # one round, by hand
    assert await teacher.wait_text("'hi')\n") == "'hi')\n"
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_retries_a_batch_that_failed_once(
    pair: tuple[LiveRegistry, LiveRegistry], classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    student = await editor(build_app(a), classroom.document, classroom.student)
    teacher = await editor(build_app(b), classroom.document, classroom.teacher)
    original, calls = a.bridge._publish_batch, {"n": 0}

    async def flaky(batch: dict[str, bytes]) -> dict[str, int]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("Redis went away for a moment")
        return await original(batch)

    monkeypatch.setattr(a.bridge, "_publish_batch", flaky)
    await student.type(0, "# retried\n")
    assert await teacher.wait_text("# retried\nprint('hi')\n", timeout=1) == "# retried\nprint('hi')\n"
    assert calls["n"] >= 2
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_resyncs_once_publishing_works_again_after_a_lost_batch(
    pair: tuple[LiveRegistry, LiveRegistry], classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    student = await editor(build_app(a), classroom.document, classroom.student)
    teacher = await editor(build_app(b), classroom.document, classroom.teacher)
    original, down = a.bridge._publish_batch, {"down": True}

    async def outage(batch: dict[str, bytes]) -> dict[str, int]:
        if down["down"]:
            raise ConnectionError("Redis is down")
        return await original(batch)

    monkeypatch.setattr(a.bridge, "_publish_batch", outage)
    await student.type(0, "# during the outage\n")
    await asyncio.sleep(0.3)  # tried twice, lost
    down["down"] = False
    await student.comm.send_to(bytes_data=b"\x01\x01\x00")  # an awareness frame: traffic again
    expected = "# during the outage\nprint('hi')\n"
    assert await teacher.wait_text(expected, timeout=1) == expected
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_stores_what_only_the_receiving_process_still_holds(
    pair: tuple[LiveRegistry, LiveRegistry], classroom: Classroom
) -> None:
    a, b = pair
    student = await editor(build_app(a), classroom.document, classroom.student)
    teacher = await editor(build_app(b), classroom.document, classroom.teacher)
    a._flush_lock = _Never()  # type: ignore[assignment]  # A dies before it writes anything ...
    try:
        await student.type(0, "# only B has this now\n")
        assert await teacher.wait_text("# only B has this now\nprint('hi')\n")
        await b.flush(force=True)  # ... B, which only received it, writes it
        stored = await database_sync_to_async(Document.objects.get)(pk=classroom.document.pk)
        assert stored.content == "# only B has this now\nprint('hi')\n"
    finally:
        a._flush_lock = asyncio.Lock()
    await teacher.comm.disconnect()
    await student.comm.disconnect()


class _Never:
    """A lock nobody gets: the process holding it never writes."""

    async def __aenter__(self) -> None:
        await asyncio.Event().wait()

    async def __aexit__(self, *exc: object) -> None: ...
