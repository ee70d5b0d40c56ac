"""What reaches the database: the update log, debounced snapshots, plain text in
step, and resynchronisation after a dropped connection or a server restart."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sessions.live import store, ydoc
from sessions.live.registry import LiveRegistry
from sessions.models import Document, DocumentUpdate, Participant
from tests import live_support
from tests.live_support import Classroom, YClient, build_app, editor, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick_persistence(settings: Any) -> None:
    settings.LIVE_FLUSH_SECONDS = 0.05
    settings.LIVE_SNAPSHOT_IDLE_SECONDS = 0.4
    settings.LIVE_SNAPSHOT_MAX_SECONDS = 30
    settings.LIVE_ACTIVITY_FLUSH_SECONDS = 0.05


def _stored(document_id: Any) -> Document:
    return Document.objects.get(pk=document_id)


def _log(document_id: Any) -> list[DocumentUpdate]:
    return list(DocumentUpdate.objects.filter(document_id=document_id).order_by("seq"))


async def test_it_logs_each_edit_with_author_and_time_and_debounces_the_snapshot(
    app: object, classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshots = []
    original = store._write_snapshot_locked
    monkeypatch.setattr(
        store, "_write_snapshot_locked", lambda *a, **k: (snapshots.append(a[2]), original(*a, **k))[1]
    )
    student = await editor(app, classroom.document, classroom.student)
    for i in range(12):
        await student.type(len(student.text), str(i % 10))
        await asyncio.sleep(0.03)  # faster than the idle delay: no snapshot yet
    mid = await database_sync_to_async(_stored)(classroom.document.pk)
    assert mid.snapshot_seq == 1 and mid.content == "print('hi')\n"

    await asyncio.sleep(0.7)
    stored = await database_sync_to_async(_stored)(classroom.document.pk)
    log = await database_sync_to_async(_log)(classroom.document.pk)
    assert stored.content == student.text == "print('hi')\n012345678901"
    assert [row.seq for row in log] == list(range(1, 14))
    assert all(row.author_participant_id == classroom.participant.pk for row in log[1:])
    assert all(row.author_user_id == classroom.student.pk for row in log[1:])
    assert [row.chars_inserted for row in log[1:]] == [1] * 12
    assert all(a.created_at <= b.created_at for a, b in zip(log, log[1:], strict=False))
    assert stored.snapshot_seq == 13 and stored.modified
    assert snapshots == [13]  # one snapshot for the whole burst
    await student.comm.disconnect()


async def test_it_counts_chars_typed_and_active_time(app: object, classroom: Classroom, settings: Any) -> None:
    settings.LIVE_ACTIVE_GAP_SECONDS = 5
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)
    for _ in range(6):
        await student.type(0, "ab")
        await asyncio.sleep(0.25)
    await teacher.type(0, "teacher text")  # not the student's typing
    await asyncio.sleep(0.3)
    participant = await database_sync_to_async(Participant.objects.get)(pk=classroom.participant.pk)
    assert participant.chars_typed == 12
    assert participant.active_seconds >= 1
    assert participant.last_activity_at is not None
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_resyncs_without_loss_after_a_dropped_connection(app: object, classroom: Classroom) -> None:
    student = await editor(app, classroom.document, classroom.student)
    for ch in "for i in range(3):\n":
        await student.type(len(student.text), ch)
    await student.comm.disconnect()  # dropped mid-stream; the editor keeps typing offline
    for ch in "    print(i)\n":
        ydoc.text_type(student.doc).insert(len(student.text.encode()), ch)

    back = YClient(await open_socket(app, f"/ws/documents/{classroom.document.pk}/", classroom.student),
                   doc=student.doc)
    await back.handshake()
    await back.pump(until=lambda: False, timeout=0.3)
    teacher = await editor(app, classroom.document, classroom.teacher)
    expected = "print('hi')\nfor i in range(3):\n    print(i)\n"
    assert back.text == teacher.text == expected
    await back.comm.disconnect()
    await teacher.comm.disconnect()


async def _crash(registry: LiveRegistry) -> None:
    """Stop a registry the way a killed process stops: nothing more is written."""
    registry._closed = True
    if registry._flusher is not None:
        registry._flusher.cancel()
    for hub in registry.hubs.values():
        hub.stop_timers()
    await registry.bridge.close()


async def test_it_resyncs_without_loss_after_a_server_restart(classroom: Classroom, settings: Any) -> None:
    settings.LIVE_FLUSH_SECONDS = 3600  # the first server dies before it writes anything
    first = LiveRegistry()
    student = await editor(build_app(first), classroom.document, classroom.student)
    typed = "while True:\n    pass\n"
    for ch in typed:
        await student.type(len(student.text), ch)
    await asyncio.sleep(0.1)
    student.comm.future.cancel()  # the process is killed: no disconnect handling at all
    await _crash(first)
    assert (await database_sync_to_async(_stored)(classroom.document.pk)).content == "print('hi')\n"

    second = LiveRegistry()  # a fresh server loads from the database
    app2 = build_app(second)
    back = YClient(await open_socket(app2, f"/ws/documents/{classroom.document.pk}/", classroom.student),
                   doc=student.doc)
    await back.handshake()  # the client's step 2 brings back what the server never stored
    await back.pump(until=lambda: False, timeout=0.2)
    teacher = await editor(app2, classroom.document, classroom.teacher)
    assert teacher.text == back.text == "print('hi')\n" + typed
    await back.comm.disconnect()
    await teacher.comm.disconnect()
    await second.close()
    stored = await database_sync_to_async(_stored)(classroom.document.pk)
    assert stored.content == "print('hi')\n" + typed


async def test_it_keeps_pending_writes_when_the_database_fails(
    app: object, classroom: Classroom, registry: LiveRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    calls = {"n": 0}
    original = store.flush

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return original(**kwargs)

    monkeypatch.setattr(store, "flush", flaky)
    await student.type(0, "# kept\n")
    await asyncio.sleep(0.8)
    stored = await database_sync_to_async(_stored)(classroom.document.pk)
    assert calls["n"] >= 2 and stored.content == "# kept\nprint('hi')\n"
    await student.comm.disconnect()


async def test_it_audits_a_teachers_edit_once_per_burst(app: object, classroom: Classroom, settings: Any) -> None:
    from monitoring.models import AuditEvent

    settings.LIVE_TEACHER_EDIT_BURST_SECONDS = 0.5
    teacher = await editor(app, classroom.document, classroom.teacher)
    for ch in "# fix":  # one burst
        await teacher.type(0, ch)
    await asyncio.sleep(0.7)
    await teacher.type(0, "!")  # a second burst, after a pause
    await asyncio.sleep(0.3)
    events = await database_sync_to_async(
        lambda: list(
            AuditEvent.objects.filter(action="file.teacher_edit").values_list("actor_id", "target_id", "details")
        )
    )()
    details = {"participant_id": str(classroom.document.participant_id), "session_id": str(classroom.session.pk),
               "change": "live"}
    assert events == [(classroom.teacher.pk, str(classroom.document.pk), details)] * 2
    await teacher.comm.disconnect()


async def test_it_keeps_a_closed_documents_writes_when_its_last_flush_fails(
    app: object, classroom: Classroom, registry: LiveRegistry, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.LIVE_HUB_IDLE_SECONDS = 0.05
    student = await editor(app, classroom.document, classroom.student)
    failing = {"on": True}
    original = store.flush

    def down(**kwargs: Any) -> Any:
        if failing["on"]:
            raise RuntimeError("database went away")
        return original(**kwargs)

    monkeypatch.setattr(store, "flush", down)
    await student.type(0, "# typed just before leaving\n")
    await student.comm.disconnect()
    await asyncio.sleep(0.3)  # the hub closed, and its final write failed
    assert classroom.document.pk not in registry.hubs
    failing["on"] = False
    await asyncio.sleep(0.3)  # the next flushes write it
    stored = await database_sync_to_async(_stored)(classroom.document.pk)
    assert stored.content == "# typed just before leaving\nprint('hi')\n"
    assert registry._orphans == []
