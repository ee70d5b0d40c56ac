"""Document sync over /ws/documents/{id}/: convergence, state vectors, awareness."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sessions.live import protocol, ydoc
from sessions.live.registry import LiveRegistry
from sessions.models import Document, DocumentUpdate
from tests import live_support
from tests.live_support import Classroom, YClient, editor, open_socket, recv

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_it_starts_with_readonly_state_and_the_stored_text(app: object, classroom: Classroom) -> None:
    client = await editor(app, classroom.document, classroom.student)
    assert client.text == "print('hi')\n"
    assert client.texts[0] == {"type": "readonly", "readonly": False}
    await client.comm.disconnect()


async def test_it_converges_when_student_and_teacher_type_at_once(
    app: object, classroom: Classroom, registry: LiveRegistry
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)

    for i in range(10):  # interleaved, without waiting for each other
        await student.type(0, f"s{i}")
        await teacher.type(len(teacher.text), f"t{i}")
    await asyncio.gather(
        student.pump(until=lambda: False, timeout=0.5), teacher.pump(until=lambda: False, timeout=0.5)
    )

    hub = registry.hubs[classroom.document.pk]
    assert student.text == teacher.text == hub.text
    assert all(f"s{i}" in hub.text and f"t{i}" in hub.text for i in range(10))
    await registry.flush(force=True)
    stored = await database_sync_to_async(Document.objects.get)(pk=classroom.document.pk)
    assert stored.content == hub.text
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_sends_a_reconnecting_client_exactly_what_it_lacks(app: object, classroom: Classroom) -> None:
    first = await editor(app, classroom.document, classroom.student)
    await first.type(0, "# a\n")
    other = await editor(app, classroom.document, classroom.teacher)
    await first.comm.disconnect()

    await other.type(0, "# while you were away\n")
    await other.pump(until=lambda: False, timeout=0.2)
    had = first.doc.get_state()
    expected_missing = ydoc.new_doc(other.doc.get_update()).get_update(had)

    back = YClient(await open_socket(app, f"/ws/documents/{classroom.document.pk}/", classroom.student), doc=first.doc)
    await back.comm.send_to(bytes_data=protocol.sync_step1(had))
    answers = []
    while len(answers) < 2:  # the server's step 1 and its step 2 to ours, in either order
        message = await recv(back.comm)
        assert message is not None
        if message.get("bytes"):
            answers.append(protocol.parse(message["bytes"]))
    step2 = next(m for m in answers if m.sync_type == protocol.SYNC_STEP2)
    assert step2.payload == expected_missing
    ydoc.apply_update(back.doc, step2.payload)
    assert back.text == other.text
    await back.comm.disconnect()
    await other.comm.disconnect()


async def test_it_relays_awareness_without_storing_it(app: object, classroom: Classroom) -> None:
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)
    user = {"name": classroom.participant.display_name, "color": "#f00"}
    state = json.dumps({"user": user, "cursor": {"anchor": 3}}, separators=(",", ":"))
    update = protocol.encode_awareness([(4242, 1, state)])
    await student.comm.send_to(bytes_data=protocol.awareness_message(update))
    await teacher.pump(until=lambda: bool(teacher.awareness))
    assert protocol.parse_awareness(teacher.awareness[0]) == [(4242, 1, state)]

    late = await editor(app, classroom.document, classroom.teacher)  # sees who is here
    assert protocol.parse_awareness(late.awareness[0]) == [(4242, 1, state)]

    await student.comm.disconnect()  # its cursor disappears for the others
    await teacher.pump(until=lambda: len(teacher.awareness) > 1)
    assert protocol.parse_awareness(teacher.awareness[-1]) == [(4242, 2, "null")]
    rows = await database_sync_to_async(list)(DocumentUpdate.objects.values_list("update", flat=True))
    assert all(b'"cursor"' not in bytes(row) for row in rows)
    await teacher.comm.disconnect()
    await late.comm.disconnect()


async def test_it_labels_a_cursor_with_the_name_the_server_knows(app: object, classroom: Classroom) -> None:
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)
    spoof = '{"user":{"name":"Your Teacher","color":"#00f"},"cursor":{"anchor":1}}'
    await student.comm.send_to(bytes_data=protocol.awareness_message(protocol.encode_awareness([(77, 1, spoof)])))
    await teacher.pump(until=lambda: bool(teacher.awareness))
    [(client, clock, state)] = protocol.parse_awareness(teacher.awareness[0])
    assert (client, clock) == (77, 1)
    assert json.loads(state) == {"user": {"name": classroom.participant.display_name, "color": "#00f"},
                                 "cursor": {"anchor": 1}}
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_ignores_a_duplicate_update(app: object, classroom: Classroom, registry: LiveRegistry) -> None:
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)
    before = student.doc.get_state()
    await student.type(0, "x")
    update = protocol.sync_update(student.doc.get_update(before))
    await student.comm.send_to(bytes_data=update)  # sent twice
    await teacher.wait_text("xprint('hi')\n")
    await teacher.pump(until=lambda: False, timeout=0.2)
    assert registry.hubs[classroom.document.pk].pending.__len__() == 1
    assert await teacher.comm.receive_nothing(0.1)
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_brings_a_rest_write_to_the_open_editors(app: object, classroom: Classroom) -> None:
    from sessions.live import crdt
    from sessions.models import Document

    student = await editor(app, classroom.document, classroom.student)
    await student.type(0, "# mine\n")  # concurrent with the teacher's write below

    def write() -> None:
        document = Document.objects.get(pk=classroom.document.pk)
        crdt.replace_text(document=document, text=document.content + "print('pushed')\n",
                          author_user=classroom.teacher)

    await database_sync_to_async(write)()
    assert await student.wait_text("# mine\nprint('hi')\nprint('pushed')\n") == (
        "# mine\nprint('hi')\nprint('pushed')\n"
    )
    await student.comm.disconnect()


async def test_the_hot_path_reads_no_text_per_keystroke(
    app: object, classroom: Classroom, registry: LiveRegistry, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """Typing works out the text once per preview interval, not once per keystroke;
    the log entries still get their character counts (at the flush)."""
    from sessions.live import hub as hub_module

    settings.LIVE_PREVIEW_INTERVAL_SECONDS = 3600.0
    settings.LIVE_FLUSH_SECONDS = 3600.0
    student = await editor(app, classroom.document, classroom.student)
    tab = await editor(app, classroom.document, classroom.student)
    hub = registry.hubs[classroom.document.pk]
    reads = []
    text_of = hub_module.ydoc.text_of

    def counted(doc: Any) -> str:
        if doc is hub.doc:
            reads.append(1)
        return text_of(doc)

    monkeypatch.setattr(hub_module.ydoc, "text_of", counted)
    for ch in "while True:\n    pass\n":
        await student.type(len(student.text), ch)
    await tab.wait_text(student.text)
    assert reads == []
    entries, _ = hub.take_pending(0.0, force=False, snapshot_allowed=False)
    assert [(e.inserted, e.deleted) for e in entries] == [(1, 0)] * len("while True:\n    pass\n")
    assert hub.text == student.text and len(reads) == 1
    await student.comm.disconnect()
    await tab.comm.disconnect()
