"""Who reaches which live socket: students only their own document and terminal and
their session's events (never the monitor), teachers only their own sessions,
guests only their session. Refusals close with 4403 (forbidden) or 4404 (missing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.models import User
from sessions.models import Participant
from tests import live_support
from tests.factories import AdminFactory, TeacherFactory, UserFactory
from tests.live_factories import make_document, make_participant, make_session
from tests.live_support import close_code, open_socket, recv

registry, app = live_support.registry, live_support.app  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]

OK, MONITOR, FORBIDDEN, MISSING = "ok", "monitor", 4403, 4404


@dataclass
class World:
    principals: dict[str, Any]
    paths: dict[str, str]


def _world() -> World:
    teacher, other_teacher = TeacherFactory(password=None), TeacherFactory(password=None)
    session, other_session = make_session(teacher=teacher), make_session(teacher=other_teacher)
    student, other_student = UserFactory(password=None), UserFactory(password=None)
    a = make_participant(session=session, user=student)
    g = make_participant(session=session, guest=True, display_name="Guest G")
    make_participant(session=other_session, user=other_student)
    h = make_participant(session=other_session, guest=True, display_name="Guest H")
    doc_a, doc_g = make_document(participant=a), make_document(participant=g)
    superuser = UserFactory(password=None)
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)  # not through save(): keeps the student role
    return World(
        principals={
            "student": student, "guest": g, "teacher": teacher, "other_teacher": other_teacher,
            "other_student": other_student, "other_guest": h, "admin": AdminFactory(password=None),
            # One admin rule (accounts.principals): a superuser is one; is_staff alone is not.
            "superuser": User.objects.get(pk=superuser.pk),
            "staff_teacher": TeacherFactory(password=None, is_staff=True),
        },
        paths={
            "doc_a": f"/ws/documents/{doc_a.pk}/", "term_a": f"/ws/terminal/{a.pk}/",
            "doc_g": f"/ws/documents/{doc_g.pk}/", "term_g": f"/ws/terminal/{g.pk}/",
            "session": f"/ws/sessions/{session.pk}/",
            "missing_doc": f"/ws/documents/{uuid.uuid4()}/", "missing_term": f"/ws/terminal/{uuid.uuid4()}/",
            "missing_session": f"/ws/sessions/{uuid.uuid4()}/", "garbage_doc": "/ws/documents/not-a-uuid/",
        },
    )


MATRIX = [
    ("student", "doc_a", OK), ("student", "term_a", OK), ("student", "session", OK),
    ("student", "doc_g", FORBIDDEN), ("student", "term_g", FORBIDDEN),
    ("guest", "doc_g", OK), ("guest", "term_g", OK), ("guest", "session", OK),
    ("guest", "doc_a", FORBIDDEN), ("guest", "term_a", FORBIDDEN),
    ("teacher", "doc_a", OK), ("teacher", "term_a", OK), ("teacher", "doc_g", OK), ("teacher", "term_g", OK),
    ("teacher", "session", MONITOR),
    ("other_teacher", "doc_a", FORBIDDEN), ("other_teacher", "term_g", FORBIDDEN),
    ("other_teacher", "session", FORBIDDEN),
    ("other_student", "doc_a", FORBIDDEN), ("other_student", "term_a", FORBIDDEN),
    ("other_student", "session", FORBIDDEN),
    ("other_guest", "doc_g", FORBIDDEN), ("other_guest", "term_a", FORBIDDEN), ("other_guest", "session", FORBIDDEN),
    ("admin", "doc_a", OK), ("admin", "term_a", OK), ("admin", "session", MONITOR),
    ("superuser", "doc_a", OK), ("superuser", "term_g", OK), ("superuser", "session", MONITOR),
    ("staff_teacher", "doc_a", FORBIDDEN), ("staff_teacher", "term_a", FORBIDDEN),
    ("staff_teacher", "session", FORBIDDEN),
    ("student", "missing_doc", MISSING), ("teacher", "missing_term", MISSING),
    ("teacher", "missing_session", MISSING), ("student", "garbage_doc", MISSING),
]


@pytest.mark.parametrize(("who", "where", "expected"), MATRIX)
async def test_it_enforces_the_access_matrix(app: object, who: str, where: str, expected: Any) -> None:
    world = await database_sync_to_async(_world)()
    comm = await open_socket(app, world.paths[where], world.principals[who])
    first = await recv(comm, 0.5)
    if first is None:  # a terminal says nothing until asked: ask
        await comm.send_to(text_data='{"type": "hello"}')
        first = await recv(comm)
    assert first is not None
    if expected in (FORBIDDEN, MISSING):
        assert first["type"] == "websocket.close" and first["code"] == expected
        return
    assert first["type"] == "websocket.send"
    if where == "session":
        is_snapshot = '"type":"snapshot"' in (first.get("text") or "")
        assert is_snapshot == (expected == MONITOR)
    await comm.disconnect()


async def test_it_refuses_a_removed_student(app: object) -> None:
    world = await database_sync_to_async(_world)()

    def remove() -> None:
        Participant.objects.filter(user=world.principals["student"]).update(removed_at=timezone.now())

    await database_sync_to_async(remove)()
    for where in ("doc_a", "term_a", "session"):
        comm = await open_socket(app, world.paths[where], world.principals["student"])
        assert await close_code(comm) == FORBIDDEN


@pytest.mark.parametrize("where", ["doc_a", "term_a", "session"])
async def test_it_refuses_a_connection_without_a_valid_token_before_accepting(app: object, where: str) -> None:
    world = await database_sync_to_async(_world)()
    comm = WebsocketCommunicator(
        app, world.paths[where], headers=[(b"origin", b"http://testserver")],
        subprotocols=["observer", "bearer.not-a-token"],
    )
    assert await comm.connect(timeout=5) == (False, 1008)
    await comm.wait()
