"""Who may do what: every principal against every object endpoint of one session.

The target is a signed-in student's participant ("self": the student themself) in a
live session of "teacher" (sessions.selectors.Access names who is who). 404 means the
principal has no part in the session (ids reveal nothing); 403 means they are in it but
may not do this. A refused write changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from sessions.models import ClassSession, Document, HelpRequest, HelpState, Participant
from tests.factories import AdminFactory, TeacherFactory, UserFactory
from tests.sessions.conftest import guest_token, snapshot
from tests.sessions.factories import (
    ClassSessionFactory,
    DocumentFactory,
    GuestParticipantFactory,
    HelpRequestFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.django_db

PRINCIPALS = [
    "self", "peer", "guest_here", "guest_elsewhere", "outsider", "teacher", "other_teacher", "admin", "anonymous",
]  # fmt: skip


@dataclass
class World:
    session: ClassSession
    target: Participant
    document: Document
    help: HelpRequest
    clients: dict[str, Any]

    def url(self, template: str) -> str:
        return template.format(s=self.session.pk, p=self.target.pk, d=self.document.pk, h=self.help.pk)


@pytest.fixture
def world(client_for: Callable[[Any], Any], api: Any) -> World:
    teacher = TeacherFactory()
    session = ClassSessionFactory(teacher=teacher)
    me = UserFactory()
    target = ParticipantFactory(session=session, user=me)
    peer = ParticipantFactory(session=session)
    guest_here = GuestParticipantFactory(session=session)
    guest_elsewhere = GuestParticipantFactory(session=ClassSessionFactory())
    clients = {
        "self": client_for(me),
        "peer": client_for(peer.user),
        "guest_here": client_for(guest_token(guest_here)),
        "guest_elsewhere": client_for(guest_token(guest_elsewhere)),
        "outsider": client_for(UserFactory()),
        "teacher": client_for(teacher),
        "other_teacher": client_for(TeacherFactory()),
        "admin": client_for(AdminFactory()),
        "anonymous": api,
    }
    document = DocumentFactory(participant=target, name="main.py")
    return World(session, target, document, HelpRequestFactory(participant=target), clients)


def expect(teacher: int, admin: int, me: int, members: int = 403, strangers: int = 404) -> dict[str, int]:
    """Statuses per principal: the session's other members (a peer, a guest) usually get
    403, strangers (another session's guest, an outside student, another teacher) 404."""
    return {
        "self": me, "peer": members, "guest_here": members, "guest_elsewhere": strangers, "outsider": strangers,
        "teacher": teacher, "other_teacher": strangers, "admin": admin, "anonymous": 401,
    }  # fmt: skip


TEACHER_OR_ADMIN_READ = expect(teacher=200, admin=200, me=403)
TEACHER_ACTION = expect(teacher=200, admin=403, me=403)
SELF_TEACHER_OR_ADMIN = expect(teacher=200, admin=200, me=200)
SELF_OR_TEACHER_WRITE = expect(teacher=200, admin=403, me=200)

ENDPOINTS: dict[str, tuple[str, str, dict[str, Any] | None, dict[str, int]]] = {
    "session read": ("get", "/api/sessions/{s}/", None, TEACHER_OR_ADMIN_READ),
    "session change": ("patch", "/api/sessions/{s}/", {"title": "Renamed"}, TEACHER_OR_ADMIN_READ),
    "session start": ("post", "/api/sessions/{s}/start", None, TEACHER_ACTION),
    "session end": ("post", "/api/sessions/{s}/end", None, TEACHER_ACTION),
    "session reopen": ("post", "/api/sessions/{s}/reopen", None, TEACHER_ACTION),
    "participants list": ("get", "/api/sessions/{s}/participants/", None, TEACHER_OR_ADMIN_READ),
    "participant remove": ("delete", "/api/sessions/{s}/participants/{p}/", None, {**TEACHER_ACTION, "teacher": 204}),
    "push": ("post", "/api/sessions/{s}/push", {"name": "extra.py", "content": "1"}, TEACHER_ACTION),
    "help queue": ("get", "/api/sessions/{s}/help/", None, TEACHER_OR_ADMIN_READ),
    "analytics": ("get", "/api/sessions/{s}/analytics", None, TEACHER_OR_ADMIN_READ),
    "export": ("get", "/api/sessions/{s}/export", None, TEACHER_OR_ADMIN_READ),
    "participant read": ("get", "/api/participants/{p}/", None, SELF_TEACHER_OR_ADMIN),
    "files list": ("get", "/api/participants/{p}/files/", None, SELF_TEACHER_OR_ADMIN),
    "file create": (
        "post", "/api/participants/{p}/files/", {"name": "new.py"},
        {**SELF_OR_TEACHER_WRITE, "self": 201, "teacher": 201},
    ),  # fmt: skip
    "file read": ("get", "/api/participants/{p}/files/{d}/", None, SELF_TEACHER_OR_ADMIN),
    "file rename": ("patch", "/api/participants/{p}/files/{d}/", {"name": "renamed.py"}, SELF_OR_TEACHER_WRITE),
    "file rewrite": ("patch", "/api/participants/{p}/files/{d}/", {"content": "print(3)\n"}, SELF_OR_TEACHER_WRITE),
    "file delete": (
        "delete", "/api/participants/{p}/files/{d}/", None, {**SELF_OR_TEACHER_WRITE, "self": 204, "teacher": 204}
    ),  # fmt: skip
    "files download": ("get", "/api/participants/{p}/files/download", None, SELF_TEACHER_OR_ADMIN),
    "help raise": ("post", "/api/participants/{p}/help", {"message": "hi"}, expect(teacher=403, admin=403, me=201)),
    "help claim": ("post", "/api/help/{h}/claim", None, TEACHER_ACTION),
    "help resolve": ("post", "/api/help/{h}/resolve", None, TEACHER_ACTION),
    "help cancel": ("post", "/api/help/{h}/cancel", None, expect(teacher=403, admin=403, me=200)),
}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_it_enforces_the_access_matrix(world: World, endpoint: str, principal: str) -> None:
    method, template, body, expected = ENDPOINTS[endpoint]
    if endpoint == "help raise":
        HelpRequest.objects.filter(pk=world.help.pk).update(state=HelpState.CANCELLED)
    before = snapshot()
    response = getattr(world.clients[principal], method)(world.url(template), body, format="json")
    assert response.status_code == expected[principal], (endpoint, principal, getattr(response, "content", b""))
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied", "not_found"}
        assert snapshot() == before


PEER_VISIBLE = {
    "participants list": 200,
    "files list": 200,
    "file read": 200,
    "file create": 403,
    "file rewrite": 403,
    "file delete": 403,
    "files download": 403,
    "participant read": 403,
}


@pytest.mark.parametrize("endpoint", list(PEER_VISIBLE))
@pytest.mark.parametrize("principal", ["peer", "guest_here"])
def test_it_lets_peers_read_but_not_write_when_students_see_each_other(
    world: World, endpoint: str, principal: str
) -> None:
    ClassSession.objects.filter(pk=world.session.pk).update(students_see_each_other=True)
    method, template, body, _ = ENDPOINTS[endpoint]
    before = snapshot()
    response = getattr(world.clients[principal], method)(world.url(template), body, format="json")
    assert response.status_code == PEER_VISIBLE[endpoint], response.content
    if response.status_code >= 400:
        assert snapshot() == before


@pytest.mark.parametrize("endpoint", ["file create", "file rename", "file rewrite", "file delete"])
def test_it_refuses_the_teacher_writes_when_the_session_forbids_teacher_edits(world: World, endpoint: str) -> None:
    ClassSession.objects.filter(pk=world.session.pk).update(teacher_can_edit=False)
    method, template, body, _ = ENDPOINTS[endpoint]
    before = snapshot()
    response = getattr(world.clients["teacher"], method)(world.url(template), body, format="json")
    assert response.status_code == 403
    assert snapshot() == before
    assert world.clients["teacher"].get(world.url("/api/participants/{p}/files/")).status_code == 200


@pytest.mark.parametrize(
    ("principal", "status"),
    [("self", 200), ("guest_here", 200), ("guest_elsewhere", 200), ("outsider", 404), ("teacher", 404),
     ("admin", 404), ("anonymous", 401)],
)  # fmt: skip
def test_it_answers_current_session_only_for_participants(world: World, principal: str, status: int) -> None:
    response = world.clients[principal].get("/api/sessions/current")
    assert response.status_code == status
    if principal == "self":
        assert response.json()["participant"]["id"] == str(world.target.pk)


@pytest.mark.parametrize(
    ("principal", "list_status", "create_status"),
    [("teacher", 200, 201), ("other_teacher", 200, 201), ("admin", 200, 201), ("self", 403, 403),
     ("guest_here", 403, 403), ("anonymous", 401, 401)],
)  # fmt: skip
def test_it_lets_only_teachers_list_and_create_sessions(
    world: World, principal: str, list_status: int, create_status: int
) -> None:
    client = world.clients[principal]
    assert client.get("/api/sessions/").status_code == list_status
    created = client.post("/api/sessions/", {"title": "New", "language": "python"}, format="json")
    assert created.status_code == create_status


def test_it_lists_a_teachers_own_sessions_and_all_for_admins(world: World) -> None:
    ClassSessionFactory(teacher=world.session.teacher)
    own = {s["id"] for s in world.clients["teacher"].get("/api/sessions/").json()["results"]}
    assert str(world.session.pk) in own and len(own) == 2
    other = {s["id"] for s in world.clients["other_teacher"].get("/api/sessions/").json()["results"]}
    assert other == set()
    everything = {s["id"] for s in world.clients["admin"].get("/api/sessions/").json()["results"]}
    assert everything == {str(pk) for pk in ClassSession.objects.values_list("pk", flat=True)}


def test_it_lets_a_guest_use_its_own_participant_only(world: World, client_for: Callable[[Any], Any]) -> None:
    guest = GuestParticipantFactory(session=world.session)
    own = DocumentFactory(participant=guest, name="mine.py")
    client = client_for(guest_token(guest))
    assert client.get(f"/api/participants/{guest.pk}/files/").status_code == 200
    rewrite = client.patch(f"/api/participants/{guest.pk}/files/{own.pk}/", {"content": "1"}, format="json")
    assert rewrite.status_code == 200
    assert client.post(f"/api/participants/{guest.pk}/help", {}, format="json").status_code == 201
    # Another participant's file id under the guest's own participant id is not theirs either.
    assert client.get(f"/api/participants/{guest.pk}/files/{world.document.pk}/").status_code == 404


@pytest.mark.parametrize("endpoint", ["files list", "file read", "participant read", "export", "files download"])
def test_head_requests_need_the_same_rights_as_get(world: World, endpoint: str) -> None:
    _, template, _, expected = ENDPOINTS[endpoint]
    for principal in ("peer", "guest_here", "outsider"):
        assert world.clients[principal].head(world.url(template)).status_code == expected[principal]


def test_it_does_not_expose_the_teacher_as_a_student_of_another_session(world: World) -> None:
    foreign = ClassSessionFactory()
    foreign_participant = ParticipantFactory(session=foreign)
    for path in (f"/api/sessions/{foreign.pk}/", f"/api/participants/{foreign_participant.pk}/files/"):
        response = world.clients["teacher"].get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
