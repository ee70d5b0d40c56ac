"""The terminal socket with the fake sandbox: run, stdin, resize, interrupt, stop, EOF,
mirrors for teachers, one run per participant, Execution rows, ended sessions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from coding.models import Execution
from sessions.models import ClassSession, Document
from tests import live_support
from tests.live_support import Classroom, next_json, open_socket, recv

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fake_sandbox(settings: Any) -> None:
    settings.SANDBOX_BACKEND = "fake"
    settings.RUN_LIMITS = {"runs_per_window": 50, "max_concurrent": 4}


async def set_code(classroom: Classroom, text: str) -> None:
    await database_sync_to_async(Document.objects.filter(pk=classroom.document.pk).update)(content=text)


async def terminal(app: object, classroom: Classroom, principal: Any = None) -> Any:
    return await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", principal or classroom.student)


async def output_until(comm: Any, needle: bytes, timeout: float = 3) -> bytes:
    seen = b""
    while needle not in seen:
        message = await recv(comm, timeout)
        assert message is not None, f"no {needle!r} in {seen!r}"
        seen += message.get("bytes") or b""
    return seen


async def test_it_runs_and_mirrors_to_a_watching_teacher(app: object, classroom: Classroom) -> None:
    await set_code(classroom, "print('Hello, world!')\n")
    student = await terminal(app, classroom)
    teacher = await terminal(app, classroom, classroom.teacher)
    monitor = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.teacher)
    await next_json(monitor, "snapshot")

    await student.send_to(text_data=json.dumps({"type": "run", "entry": "main.py", "rows": 30, "cols": 100}))
    started = await next_json(student, "started")
    assert started["language"] == "python" and started["entry"] == "main.py"
    assert await next_json(teacher, "started") == started
    assert b"Hello, world!" in await output_until(student, b"Hello")
    assert b"Hello, world!" in await output_until(teacher, b"Hello")
    finished = await next_json(student, "exit")
    assert (await next_json(teacher, "exit")) == finished
    assert finished["status"] == "ok" and finished["exit_code"] == 0 and finished["run_id"] == started["run_id"]

    execution = await database_sync_to_async(Execution.objects.get)(pk=started["run_id"])
    assert execution.participant_id == classroom.participant.pk
    assert execution.user_id == classroom.student.pk and execution.session_id == classroom.session.pk
    assert (execution.language, execution.entry, execution.backend, execution.status) == (
        "python", "main.py", "fake", "ok"
    )
    assert execution.exit_code == 0 and execution.cpu_ms == 1 and execution.peak_memory_kb == 1024
    assert execution.wall_ms is not None and execution.output_bytes >= len("Hello, world!")
    assert execution.started_at and execution.finished_at and "Hello, world!" in execution.output_tail

    run_started = await next_json(monitor, "run.started")
    assert run_started == {"type": "run.started", "participant_id": str(classroom.participant.pk),
                           "run_id": started["run_id"], "language": "python"}
    run_ended = await next_json(monitor, "run.ended")
    assert run_ended["status"] == "ok" and run_ended["exit_code"] == 0
    for comm in (student, teacher, monitor):
        await comm.disconnect()


async def test_it_forwards_stdin_resize_and_eof(app: object, classroom: Classroom) -> None:
    await set_code(classroom, "name = input('name? ')\nprint('hi', name)\n")
    student = await terminal(app, classroom)
    await student.send_to(text_data=json.dumps({"type": "run"}))
    await next_json(student, "started")
    await student.send_to(text_data=json.dumps({"type": "resize", "rows": 40, "cols": 120}))
    await student.send_to(bytes_data=b"Ada\n")
    assert b"Ada" in await output_until(student, b"Ada")
    await student.send_to(text_data=json.dumps({"type": "eof"}))
    assert (await next_json(student, "exit"))["status"] == "ok"
    await student.disconnect()


async def test_it_interrupts_and_stops(app: object, classroom: Classroom) -> None:
    await set_code(classroom, "# FAKE:loop\nwhile True: pass\n")
    student = await terminal(app, classroom)
    teacher = await terminal(app, classroom, classroom.teacher)
    await student.send_to(text_data=json.dumps({"type": "run"}))
    await next_json(student, "started")
    await teacher.send_to(text_data=json.dumps({"type": "interrupt"}))  # teachers may interrupt
    interrupted = await next_json(student, "exit")
    assert interrupted["status"] == "runtime-error" and interrupted["signal"] == 2

    await student.send_to(text_data=json.dumps({"type": "run"}))
    await next_json(student, "started")
    await teacher.send_to(text_data=json.dumps({"type": "stop"}))
    assert (await next_json(student, "exit"))["status"] == "killed"
    await student.disconnect()
    await teacher.disconnect()


async def test_it_stops_the_old_run_when_a_new_one_starts(app: object, classroom: Classroom) -> None:
    await set_code(classroom, "# FAKE:loop\n")
    student = await terminal(app, classroom)
    await student.send_to(text_data=json.dumps({"type": "run"}))
    first = await next_json(student, "started")
    await student.send_to(text_data=json.dumps({"type": "run"}))
    old_exit = await next_json(student, "exit")
    assert old_exit["run_id"] == first["run_id"] and old_exit["status"] == "killed"
    second = await next_json(student, "started")
    assert second["run_id"] != first["run_id"]
    statuses = await database_sync_to_async(lambda: sorted(Execution.objects.values_list("status", flat=True)))()
    assert statuses == ["killed", "running"]
    await student.send_to(text_data=json.dumps({"type": "stop"}))
    await next_json(student, "exit")
    await student.disconnect()


async def test_it_refuses_runs_in_an_ended_session(app: object, classroom: Classroom) -> None:
    await database_sync_to_async(ClassSession.objects.filter(pk=classroom.session.pk).update)(state="ended")
    student = await terminal(app, classroom)
    await student.send_to(text_data=json.dumps({"type": "run"}))
    error = await next_json(student, "error")
    assert error["code"] == "session_ended"
    assert await database_sync_to_async(Execution.objects.count)() == 0
    await student.disconnect()


async def test_it_lets_teachers_watch_but_not_run_or_type(app: object, classroom: Classroom) -> None:
    teacher = await terminal(app, classroom, classroom.teacher)
    await teacher.send_to(text_data=json.dumps({"type": "run"}))
    assert (await next_json(teacher, "error"))["code"] == "forbidden"
    await teacher.send_to(bytes_data=b"ls\n")
    assert (await next_json(teacher, "error"))["code"] == "forbidden"
    await teacher.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "launch"},
        {"type": "run", "entry": 5},
        {"type": "run", "files": "main.py"},
        {"type": "run", "files": ["not-a-uuid"]},
        {"type": "run", "rows": 0},
        {"type": "resize", "rows": 24},
        {"type": "resize", "rows": 24, "cols": True},
    ],
)
async def test_it_answers_malformed_commands_with_an_error(app: object, classroom: Classroom, frame: dict) -> None:
    student = await terminal(app, classroom)
    await student.send_to(text_data=json.dumps(frame))
    assert (await next_json(student, "error"))["code"] == "invalid"
    await student.send_to(text_data=json.dumps({"type": "run", "entry": "nope.py"}))
    assert (await next_json(student, "error"))["code"] == "invalid"  # still answering
    await student.disconnect()


async def test_it_shows_a_late_watcher_what_is_running(app: object, classroom: Classroom) -> None:
    await set_code(classroom, "print('before you came')\n# FAKE:loop\n")
    student = await terminal(app, classroom)
    await student.send_to(text_data=json.dumps({"type": "run"}))
    started = await next_json(student, "started")
    await output_until(student, b"before")
    teacher = await terminal(app, classroom, classroom.teacher)
    assert (await next_json(teacher, "started"))["run_id"] == started["run_id"]
    assert b"before you came" in await output_until(teacher, b"before")
    await student.send_to(text_data=json.dumps({"type": "stop"}))
    await next_json(teacher, "exit")
    await student.disconnect()
    await teacher.disconnect()
