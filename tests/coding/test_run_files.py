"""Which files a run takes: a file whose name the sandbox cannot take (left from before
the one name rule) never blocks a run of another file, and a file that cannot run says
which and what to do; a file of another language says what the session runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from coding.models import Execution
from sessions.models import ClassSession, Document
from tests import live_support
from tests.live_factories import make_document
from tests.live_support import Classroom, open_socket, recv

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fake_sandbox(settings: Any) -> None:
    settings.SANDBOX_BACKEND = "fake"
    settings.RUN_LIMITS = {"runs_per_window": 50, "max_concurrent": 4}


async def add_file(classroom: Classroom, name: str, content: str = "print('other')\n") -> None:
    # Straight into the database: the file API refuses these names now; older sessions hold them.
    await database_sync_to_async(make_document)(participant=classroom.participant, name=name, content=content)


async def run(app: object, classroom: Classroom, entry: str) -> tuple[Any, dict[str, Any]]:
    comm = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    await comm.send_to(text_data=json.dumps({"type": "run", "entry": entry}))
    message = await recv(comm)
    assert message is not None and message.get("text"), message
    return comm, json.loads(message["text"])


async def until_exit(comm: Any) -> tuple[bytes, dict[str, Any]]:
    seen = b""
    while True:
        message = await recv(comm)
        assert message is not None, seen
        if message.get("text"):
            frame = json.loads(message["text"])
            if frame["type"] == "exit":
                return seen, frame
        seen += message.get("bytes") or b""


async def test_it_runs_main_py_beside_a_file_the_sandbox_cannot_take(app: object, classroom: Classroom) -> None:
    await database_sync_to_async(Document.objects.filter(pk=classroom.document.pk).update)(
        content="print('from main')\n"
    )
    await add_file(classroom, "my file.py")
    comm, started = await run(app, classroom, "main.py")
    assert started["type"] == "started", started
    output, finished = await until_exit(comm)
    assert finished["status"] == "ok" and b"from main" in output
    # Said once, before the program's output, with what to do about it.
    assert b"my file.py" in output and b"left out of this run" in output and b"Rename" in output
    assert output.index(b"my file.py") < output.index(b"from main")
    execution = await database_sync_to_async(Execution.objects.get)(pk=started["run_id"])
    assert execution.status == "ok" and "my file.py" not in execution.output_tail
    await comm.disconnect()


async def test_it_says_which_file_cannot_run_and_how_to_fix_it(app: object, classroom: Classroom) -> None:
    await add_file(classroom, "my file.py")
    comm, error = await run(app, classroom, "my file.py")
    assert error["type"] == "error" and error["code"] == "invalid", error
    assert '"my file.py"' in error["message"] and "spaces" in error["message"] and "Rename" in error["message"]
    assert await database_sync_to_async(Execution.objects.count)() == 0
    await comm.disconnect()


@pytest.mark.parametrize(("language", "entry", "says"), [
    ("python", "hello.c", "This session runs Python 3: only .py files run, and hello.c is not one."),
    ("python", "notes.txt", "This session runs Python 3: only .py files run, and notes.txt is not one."),
    ("c", "helper.py", "This session runs C (gcc): only .c files run, and helper.py is not one."),
    ("java", "Main.txt", "This session runs Java 17: only .java files run, and Main.txt is not one."),
    ("cpp", "main.c", "This session runs C++ (g++): only .cpp, .cc or .cxx files run, and main.c is not one."),
])  # fmt: skip
async def test_it_says_what_the_session_runs_when_asked_to_run_another_language(
    app: object, classroom: Classroom, language: str, entry: str, says: str
) -> None:
    await database_sync_to_async(ClassSession.objects.filter(pk=classroom.session.pk).update)(language=language)
    await add_file(classroom, entry, "#include <stdio.h>\nint main(void) { printf(\"hi\"); }\n")
    comm, error = await run(app, classroom, entry)
    assert error["type"] == "error" and error["code"] == "invalid", error
    assert says in error["message"], error
    assert await database_sync_to_async(Execution.objects.count)() == 0
    await comm.disconnect()
