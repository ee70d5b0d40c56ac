"""End to end with the real sandbox (bubblewrap): a program asks for input over the
socket and the answer typed by the student reaches it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async

from coding.models import Execution
from coding.sandbox import get_backend
from coding.sandbox.bubblewrap import BubblewrapBackend
from sessions.models import Document
from tests import live_support
from tests.coding.sandbox_support import assert_drained_and_clean, note_earlier_sandboxes
from tests.live_support import Classroom, next_json, open_socket, recv

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.sandbox, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _real_sandbox(settings: Any) -> Iterator[None]:
    """Afterwards the warm pool is drained and nothing of the run may be left, as after
    every other sandbox suite (tests/coding/conftest.py's bwrap)."""
    settings.SANDBOX_BACKEND = "bubblewrap"
    note_earlier_sandboxes()
    yield
    backend = get_backend("bubblewrap")
    assert isinstance(backend, BubblewrapBackend)
    assert_drained_and_clean(backend)


async def _output_until(comm: Any, needle: bytes) -> bytes:
    seen = b""
    while needle not in seen:
        message = await recv(comm, 15)
        assert message is not None, f"waited for {needle!r}, got {seen!r}"
        seen += message.get("bytes") or b""
    return seen


async def test_it_answers_input_over_the_socket_in_a_real_sandbox(app: object, classroom: Classroom) -> None:
    program = "name = input('Your name? ')\nprint(f'Hello, {name}!')\n"
    await database_sync_to_async(Document.objects.filter(pk=classroom.document.pk).update)(content=program)
    student = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    teacher = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.teacher)
    await student.send_to(text_data=json.dumps({"type": "run", "rows": 24, "cols": 80}))
    started = await next_json(student, "started", timeout=15)
    await _output_until(student, b"Your name? ")
    await student.send_to(bytes_data=b"Ada\r")
    assert b"Hello, Ada!" in await _output_until(student, b"Hello, Ada!")
    assert b"Hello, Ada!" in await _output_until(teacher, b"Hello, Ada!")
    finished = await next_json(student, "exit", timeout=15)
    assert finished["status"] == "ok" and finished["exit_code"] == 0
    execution = await database_sync_to_async(Execution.objects.get)(pk=started["run_id"])
    assert execution.backend == "bubblewrap" and execution.status == "ok"
    assert execution.peak_memory_kb and execution.peak_memory_kb > 0 and execution.wall_ms
    assert "Hello, Ada!" in execution.output_tail
    await student.disconnect()
    await teacher.disconnect()
