"""Two server "processes" (two ASGI applications, each with its own live registry and
its own Redis connections) sharing the real Redis behave as one: a student on A and
a teacher on B see each other's edits, previews, runs and help requests.

These need Redis (REDIS_URL, else redis://127.0.0.1:6379/5) and fail when it is
unreachable: a skipped cross-process test proves nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from coding import limits
from sessions import services
from sessions.models import Document
from tests import live_support
from tests.live_support import Classroom, editor, hub_has, next_json, open_socket, recv

classroom = live_support.classroom  # fixture
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


async def test_it_converges_edits_made_on_two_processes(servers: Any, classroom: Classroom) -> None:
    app_a, app_b, a, b = servers
    student = await editor(app_a, classroom.document, classroom.student)
    teacher = await editor(app_b, classroom.document, classroom.teacher)
    for i in range(15):
        await student.type(0, f"s{i} ")
        await teacher.type(len(teacher.text), f" t{i}")
    await asyncio.gather(student.pump(until=lambda: False, timeout=0.5),
                         teacher.pump(until=lambda: False, timeout=0.5))
    assert student.text == teacher.text == a.hubs[classroom.document.pk].text == b.hubs[classroom.document.pk].text
    assert all(f"s{i} " in student.text and f" t{i}" in student.text for i in range(15))
    await student.comm.disconnect()
    await teacher.comm.disconnect()
    await a.flush(force=True)
    await b.flush(force=True)
    stored = await database_sync_to_async(Document.objects.get)(pk=classroom.document.pk)
    assert stored.content == student.text


async def test_it_brings_a_late_hub_up_to_date_from_the_other_process(
    servers: Any, classroom: Classroom, settings: Any
) -> None:
    app_a, app_b, a, _ = servers
    settings.LIVE_FLUSH_SECONDS = 3600  # A has written nothing yet
    student = await editor(app_a, classroom.document, classroom.student)
    for ch in "import this\n":
        await student.type(len(student.text), ch)
    await hub_has(a, classroom.document, student.text)
    teacher = await editor(app_b, classroom.document, classroom.teacher)
    assert teacher.text == student.text == "print('hi')\nimport this\n"
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_shows_previews_and_presence_to_a_teacher_on_the_other_process(
    servers: Any, classroom: Classroom
) -> None:
    app_a, app_b, _, _ = servers
    monitor = await open_socket(app_b, f"/ws/sessions/{classroom.session.pk}/", classroom.teacher)
    await next_json(monitor, "snapshot")
    student = await editor(app_a, classroom.document, classroom.student)
    assert (await next_json(monitor, "presence"))["online"] is True
    await student.type(0, "# hello from A\n")
    preview = await next_json(monitor, "preview")
    if preview["text"] == "print('hi')\n":  # the file as opened, unless the presence wait skipped it
        preview = await next_json(monitor, "preview")
    assert preview["text"] == "# hello from A\nprint('hi')\n"
    await student.comm.disconnect()
    await monitor.disconnect()


async def test_it_mirrors_runs_and_takes_commands_across_processes(servers: Any, classroom: Classroom) -> None:
    app_a, app_b, _, _ = servers
    await database_sync_to_async(Document.objects.filter(pk=classroom.document.pk).update)(
        content="print('from A')\n# FAKE:loop\n"
    )
    monitor = await open_socket(app_b, f"/ws/sessions/{classroom.session.pk}/", classroom.teacher)
    await next_json(monitor, "snapshot")
    student = await open_socket(app_a, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    watcher = await open_socket(app_b, f"/ws/terminal/{classroom.participant.pk}/", classroom.teacher)
    await student.send_to(text_data=json.dumps({"type": "run"}))
    started = await next_json(watcher, "started")
    seen = b""
    while b"from A" not in seen:
        message = await recv(watcher)
        assert message is not None
        seen += message.get("bytes") or b""
    assert (await next_json(monitor, "run.started"))["run_id"] == started["run_id"]

    await watcher.send_to(text_data=json.dumps({"type": "stop"}))  # the teacher on B stops the run on A
    assert (await next_json(student, "exit"))["status"] == "killed"
    assert (await next_json(watcher, "exit"))["run_id"] == started["run_id"]
    assert (await next_json(monitor, "run.ended"))["status"] == "killed"
    for comm in (student, watcher, monitor):
        await comm.disconnect()


async def test_it_delivers_help_requests_across_processes(servers: Any, classroom: Classroom) -> None:
    app_a, app_b, _, _ = servers
    monitor = await open_socket(app_b, f"/ws/sessions/{classroom.session.pk}/", classroom.teacher)
    await next_json(monitor, "snapshot")
    mine = await open_socket(app_a, f"/ws/sessions/{classroom.session.pk}/", classroom.student)
    await asyncio.sleep(0.1)
    await database_sync_to_async(services.help_raise)(participant=classroom.participant, message="help me")
    assert (await next_json(monitor, "help.raised"))["help_request"]["message"] == "help me"
    assert (await next_json(mine, "help.updated"))["help_request"]["state"] == "open"
    await mine.disconnect()
    await monitor.disconnect()


def _second(classroom: Classroom) -> tuple[Any, Any]:
    from tests.factories import UserFactory
    from tests.live_factories import make_document, make_participant

    user = UserFactory(password=None)
    participant = make_participant(session=classroom.session, user=user)
    make_document(participant=participant, content="# FAKE:loop\n")
    return user, participant


async def test_it_shares_the_run_cap_and_queue_between_processes(servers: Any, classroom: Classroom) -> None:
    app_a, app_b, _, _ = servers
    await database_sync_to_async(Document.objects.filter(pk=classroom.document.pk).update)(content="# FAKE:loop\n")
    other_user, other = await database_sync_to_async(_second)(classroom)
    first = await open_socket(app_a, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    second = await open_socket(app_b, f"/ws/terminal/{other.pk}/", other_user)
    await first.send_to(text_data=json.dumps({"type": "run"}))
    await next_json(first, "started")
    await second.send_to(text_data=json.dumps({"type": "run"}))
    assert await next_json(second, "queued") == {"type": "queued", "position": 1}
    usage = await limits.run_usage_async(principal=classroom.student)
    assert usage["used"] == 1 and usage["concurrent"]["running"] == 1
    await first.send_to(text_data=json.dumps({"type": "stop"}))
    await next_json(second, "started")
    await second.send_to(text_data=json.dumps({"type": "stop"}))
    await next_json(second, "exit")
    await first.disconnect()
    await second.disconnect()


async def test_it_brings_a_rest_write_to_editors_on_every_process(servers: Any, classroom: Classroom) -> None:
    from sessions.live import crdt

    app_a, app_b, _, _ = servers
    student = await editor(app_a, classroom.document, classroom.student)
    teacher = await editor(app_b, classroom.document, classroom.teacher)

    def write() -> None:
        document = Document.objects.get(pk=classroom.document.pk)
        crdt.replace_text(document=document, text="print('from the REST API')\n", author_user=classroom.teacher)

    await database_sync_to_async(write)()
    expected = "print('from the REST API')\n"
    assert await student.wait_text(expected) == expected
    assert await teacher.wait_text(expected) == expected
    await student.comm.disconnect()
    await teacher.comm.disconnect()
