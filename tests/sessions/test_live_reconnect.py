"""A connection killed mid-stream, with frames still in flight, loses nothing: the
editor reconnects, its step 2 brings what the server never applied, and the text,
the server's copy and the database agree. What only re-delivers known content is
not logged again (so replay shows no false paste)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sessions.live import replay
from sessions.live.registry import LiveRegistry
from sessions.models import Document, DocumentUpdate
from tests import live_support
from tests.live_support import Classroom, YClient, editor, hub_has, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick_persistence(settings: Any) -> None:
    settings.LIVE_FLUSH_SECONDS = 0.05
    settings.LIVE_SNAPSHOT_IDLE_SECONDS = 0.2


async def test_it_loses_nothing_when_the_connection_is_killed_with_frames_in_flight(
    app: object, classroom: Classroom, registry: LiveRegistry
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    typed = "".join(f"x = {i}\n" for i in range(30))
    for i, ch in enumerate(typed):  # sent without waiting for the server
        await student.type(len(student.text), ch)
        if i % 15 == 0:
            await asyncio.sleep(0.001)
    hub = registry.hubs[classroom.document.pk]
    assert hub.text != student.text  # some frames are still in flight ...
    student.comm.future.cancel()  # ... when the connection dies abruptly
    await asyncio.sleep(0.05)

    back = YClient(await open_socket(app, f"/ws/documents/{classroom.document.pk}/", classroom.student),
                   doc=student.doc)
    await back.handshake()
    expected = "print('hi')\n" + typed
    await hub_has(registry, classroom.document, expected)
    teacher = await editor(app, classroom.document, classroom.teacher)
    assert back.text == teacher.text == expected
    await asyncio.sleep(0.5)
    stored = await database_sync_to_async(Document.objects.get)(pk=classroom.document.pk)
    assert stored.content == expected
    await back.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_logs_nothing_for_a_reconnect_that_brings_nothing_new(
    app: object, classroom: Classroom, registry: LiveRegistry
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    typed = "print('a much longer line than a paste')\n"
    for ch in typed:
        await student.type(len(student.text), ch)
    await hub_has(registry, classroom.document, "print('hi')\n" + typed)
    await student.comm.disconnect()
    for _ in range(3):  # reconnects resend the whole document's state in their step 2
        again = YClient(await open_socket(app, f"/ws/documents/{classroom.document.pk}/", classroom.student),
                        doc=student.doc)
        await again.handshake()
        await again.comm.send_to(bytes_data=live_support.protocol.sync_step2(student.doc.get_update()))
        await again.pump(until=lambda: False, timeout=0.1)
        await again.comm.disconnect()
    await asyncio.sleep(0.3)

    def history() -> tuple[int, dict[str, Any]]:
        document = Document.objects.get(pk=classroom.document.pk)
        return DocumentUpdate.objects.filter(document=document).count(), replay.document_history(document=document)

    logged, result = await database_sync_to_async(history)()
    assert logged == 1 + len(typed)
    assert not any(event["paste"] for event in result["events"])
