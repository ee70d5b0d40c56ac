"""Runs through the real terminal socket: several files with a chosen entry, lockouts
audited with whose they were, a crash in the run path in the operator's error list,
and a run that never started costs no run."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from coding import limits, runner
from coding.models import Execution
from monitoring.models import AuditEvent, ErrorEvent
from sessions.models import Document
from tests import live_support
from tests.factories import UserFactory
from tests.live_factories import make_document, make_participant
from tests.live_support import Classroom, next_json, open_socket, recv

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fake_sandbox(settings: Any) -> None:
    settings.SANDBOX_BACKEND = "fake"
    settings.RUN_LIMITS = {"runs_per_window": 50, "max_concurrent": 4, "queue_poll_seconds": 0.05}
    limits._slots = None


async def _terminal(app: object, participant: Any, principal: Any) -> Any:
    return await open_socket(app, f"/ws/terminal/{participant.pk}/", principal)


async def _eventually(query: Any, timeout: float = 3) -> Any:
    for _ in range(int(timeout / 0.02)):
        found = await database_sync_to_async(query)()
        if found:
            return found
        await asyncio.sleep(0.02)
    return await database_sync_to_async(query)()


async def test_it_runs_the_chosen_files_with_the_chosen_entry(app: object, classroom: Classroom) -> None:
    def files() -> tuple[str, str]:
        Document.objects.filter(pk=classroom.document.pk).update(content="print('from main')\n")
        helper = make_document(participant=classroom.participant, name="helper.py", content="print('from helper')\n")
        make_document(participant=classroom.participant, name="other.py", content="print('not asked for')\n")
        return str(classroom.document.pk), str(helper.pk)

    main_id, helper_id = await database_sync_to_async(files)()
    comm = await _terminal(app, classroom.participant, classroom.student)
    await comm.send_to(text_data=json.dumps({"type": "run", "files": [main_id, helper_id], "entry": "helper.py"}))
    started = await next_json(comm, "started")
    assert started["entry"] == "helper.py"
    seen = b""
    while True:
        message = await recv(comm)
        assert message is not None
        if message.get("text") and json.loads(message["text"])["type"] == "exit":
            break
        seen += message.get("bytes") or b""
    assert b"from helper" in seen and b"from main" not in seen
    execution = await database_sync_to_async(Execution.objects.get)(pk=started["run_id"])
    assert execution.entry == "helper.py" and execution.status == "ok"

    await comm.send_to(text_data=json.dumps({"type": "run", "files": [main_id], "entry": "helper.py"}))
    error = await next_json(comm, "error")
    assert error["code"] == "invalid" and "helper.py" in error["message"]
    await comm.disconnect()


async def test_it_audits_each_students_run_lockout_by_name(app: object, classroom: Classroom, settings: Any) -> None:
    settings.RUN_LIMITS = {"runs_per_window": 1, "window_seconds": 60}

    def second() -> tuple[Any, Any]:
        user = UserFactory(password=None)
        participant = make_participant(session=classroom.session, user=user)
        make_document(participant=participant, content="print('b')\n")
        return user, participant

    other_user, other = await database_sync_to_async(second)()
    for participant, principal in ((classroom.participant, classroom.student), (other, other_user)):
        comm = await _terminal(app, participant, principal)
        await comm.send_to(text_data=json.dumps({"type": "run"}))
        await next_json(comm, "exit")
        await comm.send_to(text_data=json.dumps({"type": "run"}))
        assert (await next_json(comm, "error"))["code"] == "rate_limited"
        await comm.disconnect()

    def lockouts() -> list[tuple[Any, str]]:
        rows = AuditEvent.objects.filter(action="ratelimit.lockout").order_by("created_at")
        return [(row.actor_id, row.details["who"]) for row in rows] if rows.count() == 2 else []

    assert await _eventually(lockouts) == [
        (classroom.student.pk, classroom.student.username), (other_user.pk, other_user.username)
    ]


async def test_it_puts_a_crash_in_the_run_path_in_the_error_list(
    app: object, classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the program could not start")

    monkeypatch.setattr(runner, "start_interactive", broken)
    comm = await _terminal(app, classroom.participant, classroom.student)
    await comm.send_to(text_data=json.dumps({"type": "run"}))
    assert (await next_json(comm, "error"))["code"] == "server_error"
    errors = await _eventually(lambda: list(ErrorEvent.objects.filter(source="websocket")))
    assert len(errors) == 1 and errors[0].kind == "RuntimeError"
    assert errors[0].details["where"] == "terminal run"
    assert errors[0].details["participant_id"] == str(classroom.participant.pk)
    usage = await limits.run_usage_async(principal=classroom.student)
    assert usage["used"] == 0  # it never started
    await comm.disconnect()


async def test_it_does_not_count_a_run_that_never_started(app: object, classroom: Classroom, settings: Any) -> None:
    settings.RUN_LIMITS = {"runs_per_window": 1, "max_concurrent": 1, "queue_poll_seconds": 0.05}

    def busy_neighbour() -> tuple[Any, Any]:
        user = UserFactory(password=None)
        participant = make_participant(session=classroom.session, user=user)
        make_document(participant=participant, content="# FAKE:loop\n")
        return user, participant

    other_user, other = await database_sync_to_async(busy_neighbour)()
    neighbour = await _terminal(app, other, other_user)
    await neighbour.send_to(text_data=json.dumps({"type": "run"}))
    await next_json(neighbour, "started")

    mine = await _terminal(app, classroom.participant, classroom.student)
    await mine.send_to(text_data=json.dumps({"type": "run"}))
    assert (await next_json(mine, "queued"))["position"] == 1
    await mine.send_to(text_data=json.dumps({"type": "stop"}))  # withdrawn from the queue
    for _ in range(100):
        if (await limits.run_usage_async(principal=classroom.student))["used"] == 0:
            break
        await asyncio.sleep(0.02)
    assert (await limits.run_usage_async(principal=classroom.student))["used"] == 0

    await mine.send_to(text_data=json.dumps({"type": "run"}))  # so the one run of the window is still there
    assert (await next_json(mine, "queued"))["position"] == 1
    await neighbour.send_to(text_data=json.dumps({"type": "stop"}))
    await next_json(mine, "started")
    assert (await limits.run_usage_async(principal=classroom.student))["used"] == 1  # a run that started costs one
    await next_json(mine, "exit")
    await neighbour.disconnect()
    await mine.disconnect()
