"""What the teacher's tile of a student shows stays current: the file the student opens
is announced at once, and a deleted file is announced so the tile lets go of it."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from sessions import services
from sessions.authors import Author
from tests import live_support
from tests.live_factories import make_document
from tests.live_support import Classroom, editor, next_json, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


async def _monitor(app: object, classroom: Classroom) -> Any:
    comm = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.teacher)
    await next_json(comm, "snapshot")
    return comm


async def test_opening_a_file_shows_it_on_the_tile_before_any_typing(app: object, classroom: Classroom) -> None:
    second = await database_sync_to_async(make_document)(
        participant=classroom.participant, name="second.py", content="print(2)\n"
    )
    comm = await _monitor(app, classroom)
    student = await editor(app, second, classroom.student)
    preview = await next_json(comm, "preview")
    assert (preview["document_id"], preview["name"], preview["text"]) == (str(second.pk), "second.py", "print(2)\n")
    assert preview["opened"] is True  # not typing: the tile must not say so
    await student.type(0, "# ")
    typed = await next_json(comm, "preview")
    assert (typed["text"], typed["opened"]) == ("# print(2)\n", False)
    await student.comm.disconnect()
    await comm.disconnect()


async def test_a_teacher_opening_a_file_moves_no_tile(app: object, classroom: Classroom) -> None:
    comm = await _monitor(app, classroom)
    teacher = await editor(app, classroom.document, classroom.teacher)
    student = await editor(app, classroom.document, classroom.student)
    preview = await next_json(comm, "preview")  # the student's opening; nothing came from the teacher's
    assert preview["document_id"] == str(classroom.document.pk)
    for client in (teacher, student):
        await client.comm.disconnect()
    await comm.disconnect()


async def test_deleting_a_file_tells_the_teachers(app: object, classroom: Classroom) -> None:
    comm = await _monitor(app, classroom)
    await database_sync_to_async(services.document_delete)(
        document=classroom.document, participant=classroom.participant,
        author=Author(principal=classroom.student, participant=classroom.participant),
    )  # fmt: skip
    assert await next_json(comm, "file.deleted") == {
        "type": "file.deleted", "participant_id": str(classroom.participant.pk),
        "document_id": str(classroom.document.pk), "name": "main.py",
    }  # fmt: skip
    await comm.disconnect()
