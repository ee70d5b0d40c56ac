"""Bad frames get error frames and the connection stays healthy; floods are
throttled, then closed with 4429; read-only documents refuse changes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sessions.live import protocol
from sessions.models import ClassSession
from tests import live_support
from tests.live_support import Classroom, close_code, editor, make_classroom, next_json, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


async def _still_works(client: live_support.YClient, other: live_support.YClient) -> None:
    await client.type(0, "ok ")
    assert (await other.wait_text(client.text)) == client.text


@pytest.mark.parametrize(
    "frame",
    [
        b"\x00",  # a sync message without its type
        b"\xff\xff\xff",
        bytes([0, 9, 1, 0]),  # unknown sync message
        bytes([7, 1, 0]),  # unknown message type
        bytes([0, 2, 50, 1, 2]),  # length beyond the frame
        protocol.sync_update(b"not a yjs update at all"),
        protocol.awareness_message(protocol.encode_awareness([(1, 1, "{not json")])),
    ],
)
async def test_it_answers_a_malformed_frame_with_an_error_and_stays_healthy(
    app: object, classroom: Classroom, frame: bytes
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)
    await student.comm.send_to(bytes_data=frame)
    error = await next_json(student.comm, "error")
    assert error["code"] in {"invalid", "invalid_update"}
    await _still_works(student, teacher)
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_refuses_oversized_and_text_frames(app: object, classroom: Classroom, settings: Any) -> None:
    settings.LIVE_DOCUMENT_MAX_FRAME_BYTES = 1000
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)
    await student.comm.send_to(bytes_data=protocol.sync_update(b"x" * 2000))
    assert (await next_json(student.comm, "error"))["code"] == "too_large"
    await student.comm.send_to(text_data='{"type": "hello"}')
    assert (await next_json(student.comm, "error"))["code"] == "unsupported"
    await student.comm.send_to(text_data="not json")  # a text frame, JSON or not: the contract says unsupported
    assert (await next_json(student.comm, "error"))["code"] == "unsupported"
    await _still_works(student, teacher)
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_throttles_then_closes_a_flooding_client(app: object, classroom: Classroom, settings: Any) -> None:
    settings.LIVE_RATE_PER_SECOND = 5
    settings.LIVE_RATE_BURST = 10
    settings.LIVE_FLOOD_CLOSE_AFTER = 30
    comm = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.student)
    for _ in range(15):
        await comm.send_to(text_data='{"type": "ping"}')
    throttled = await next_json(comm, "error")
    assert throttled["code"] == "throttled" and throttled["retry_after"] == 1
    for _ in range(40):
        await comm.send_to(text_data='{"type": "ping"}')
    assert await close_code(comm) == 4429


async def test_it_makes_an_ended_session_read_only(app: object, classroom: Classroom) -> None:
    await database_sync_to_async(ClassSession.objects.filter(pk=classroom.session.pk).update)(state="ended")
    student = await editor(app, classroom.document, classroom.student)
    assert student.texts[0] == {"type": "readonly", "readonly": True}
    await student.type(0, "late edit")
    assert (await next_json(student.comm, "error"))["code"] == "readonly"
    teacher = await editor(app, classroom.document, classroom.teacher)
    assert teacher.text == "print('hi')\n"
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_makes_the_document_read_only_for_a_teacher_who_may_not_edit(app: object) -> None:
    room = await database_sync_to_async(make_classroom)(teacher_can_edit=False)
    teacher = await editor(app, room.document, room.teacher)
    assert teacher.texts[0] == {"type": "readonly", "readonly": True}
    await teacher.type(0, "x")
    assert (await next_json(teacher.comm, "error"))["code"] == "readonly"
    await teacher.comm.disconnect()


async def test_it_flips_to_read_only_when_the_session_ends(app: object, classroom: Classroom) -> None:
    from sessions import services

    student = await editor(app, classroom.document, classroom.student)
    session = await database_sync_to_async(ClassSession.objects.get)(pk=classroom.session.pk)
    await database_sync_to_async(services.session_end)(session=session, actor=classroom.teacher)
    assert await next_json(student.comm, "readonly") == {"type": "readonly", "readonly": True}
    await asyncio.sleep(0)
    await student.comm.disconnect()
