"""One access model for REST and sockets: who each principal is to one session and one
participant of it (teacher, student, peer, admin, or nobody), and the same answer from
the REST selectors, the REST endpoints and the live sockets' grants.

The session lets students see each other and the teacher edit. The participant in
question is a signed-in student's ("student") unless a row says the guest's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.authentication import guest_from_token
from accounts.models import Role, User
from accounts.principals import GuestPrincipal, Principal, is_admin, is_guest, principal_key, user_id_of
from sessions import selectors
from sessions.live import access
from sessions.models import ClassSession, Document, Participant
from tests.factories import AdminFactory, TeacherFactory, UserFactory
from tests.sessions.conftest import guest_token
from tests.sessions.factories import ClassSessionFactory, DocumentFactory, GuestParticipantFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

FORBIDDEN, NOT_FOUND = access.FORBIDDEN, access.NOT_FOUND


@dataclass
class World:
    session: ClassSession
    targets: dict[str, Participant]  # "student" (a signed-in student) and "guest"
    documents: dict[str, Document]
    principals: dict[str, Principal]
    tokens: dict[str, Any]  # what a client signs in with: the user, or the guest token


@pytest.fixture
def world() -> World:
    teacher = TeacherFactory()
    session = ClassSessionFactory(teacher=teacher, students_see_each_other=True, teacher_can_edit=True)
    student = ParticipantFactory(session=session)
    peer = ParticipantFactory(session=session)
    guest = GuestParticipantFactory(session=session)
    guest_elsewhere = GuestParticipantFactory(session=ClassSessionFactory())
    admin_member = ParticipantFactory(session=session, user=AdminFactory())  # an admin who joined as a student
    removed = ParticipantFactory(session=session)
    Participant.objects.filter(pk=removed.pk).update(removed_at=session.started_at)
    superuser = UserFactory()
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)  # not through save(): keeps the student role
    users: dict[str, Any] = {
        "teacher": teacher,
        "student": student.user,
        "peer": peer.user,
        "admin": AdminFactory(),
        "superuser": superuser,
        "admin_member": admin_member.user,
        "staff_teacher": TeacherFactory(is_staff=True),  # may use the Django admin site: not an admin
        "other_teacher": TeacherFactory(),
        "outsider": UserFactory(),
        "removed": removed.user,
    }
    tokens: dict[str, Any] = {name: User.objects.get(pk=user.pk) for name, user in users.items()}
    tokens["guest"] = guest_token(guest)
    tokens["guest_elsewhere"] = guest_token(guest_elsewhere)
    principals: dict[str, Principal] = {}
    for name, token in tokens.items():
        principal = guest_from_token(token) if isinstance(token, str) else token
        assert principal is not None
        principals[name] = principal
    targets = {"student": student, "guest": guest}
    documents = {name: DocumentFactory(participant=p, name="main.py") for name, p in targets.items()}
    return World(session, targets, documents, principals, tokens)


# principal, the participant in question, who they are to it over REST (`Access`), the
# participant endpoint's status, the files endpoint's status, the participant's sockets'
# grant (terminal, documents), the session socket's grant.
TABLE = [
    ("teacher", "student", {"teacher"}, 200, 200, "teacher", "teacher"),
    ("student", "student", {"student"}, 200, 200, "student", "student"),
    ("guest", "guest", {"student"}, 200, 200, "student", "student"),
    ("peer", "student", {"peer"}, 403, 200, None, "student"),
    ("guest", "student", {"peer"}, 403, 200, None, "student"),
    ("student", "guest", {"peer"}, 403, 200, None, "student"),
    ("admin", "student", {"admin"}, 200, 200, "admin", "admin"),
    ("superuser", "student", {"admin"}, 200, 200, "admin", "admin"),
    ("admin_member", "student", {"admin"}, 200, 200, "admin", "student"),
    ("staff_teacher", "student", set(), 404, 404, None, None),
    ("other_teacher", "student", set(), 404, 404, None, None),
    ("outsider", "student", set(), 404, 404, None, None),
    ("guest_elsewhere", "student", set(), 404, 404, None, None),
    ("removed", "student", set(), 404, 404, None, None),
]
RELATIONS = ("teacher", "student", "peer", "admin")


def _ids(row: tuple[Any, ...]) -> str:
    return f"{row[0]}->{row[1]}"


def _socket_who(grant: access.Grant | int) -> str | None:
    if isinstance(grant, int):
        assert grant == FORBIDDEN, "the object exists: a refusal is 4403, not 4404"
        return None
    return grant.who


@pytest.mark.parametrize(("name", "target", "relations", "participant_status", "files_status", "socket", "session"),
                         TABLE, ids=[_ids(row) for row in TABLE])  # fmt: skip
def test_who_is_who_over_rest_and_sockets(
    world: World, client_for: Callable[[Any], Any], name: str, target: str, relations: set[str],
    participant_status: int, files_status: int, socket: str | None, session: str | None,
) -> None:  # fmt: skip
    principal, participant = world.principals[name], world.targets[target]
    participant = Participant.objects.select_related("session").get(pk=participant.pk)

    # The REST selectors' relation.
    relation = selectors.access_to(principal=principal, session=participant.session, participant=participant)
    assert {r for r in RELATIONS if getattr(relation, f"is_{r}")} == relations
    assert relation.is_visible == bool(relations)

    # The REST endpoints: 404 for those with no part in the session, 403 for members who may not.
    client = client_for(world.tokens[name])
    assert client.get(f"/api/participants/{participant.pk}/").status_code == participant_status
    assert client.get(f"/api/participants/{participant.pk}/files/").status_code == files_status

    # The participant's sockets (terminal, documents) and the session's.
    assert _socket_who(access.participant_grant(principal, participant.pk)) == socket
    assert _socket_who(access.document_grant(principal, world.documents[target].pk)) == socket
    assert _socket_who(access.session_grant(principal, world.session.pk)) == session

    # One model: a socket on a participant is granted exactly to those the REST API lets
    # see that participant (the student, the session's teacher, an admin; not peers), as
    # the same relation; and its read-only rule follows from who they are.
    assert (participant_status == 200) == (socket is not None)
    expected = next((r for r in ("student", "teacher", "admin") if r in relations), None)
    assert socket == expected
    grant = access.participant_grant(principal, participant.pk)
    if not isinstance(grant, int):
        assert (grant.is_student, grant.is_teacher, grant.is_admin) == (
            socket == "student", socket == "teacher", socket == "admin"
        )
        assert grant.readonly == (socket == "admin")  # live session, the teacher may edit


def test_the_session_socket_gives_a_student_their_own_participation(world: World) -> None:
    for name, own in (("student", world.targets["student"]), ("guest", world.targets["guest"])):
        grant = access.session_grant(world.principals[name], world.session.pk)
        assert isinstance(grant, access.Grant) and grant.participant == own


def test_ids_that_name_nothing_are_4404_for_everyone(world: World) -> None:
    for principal in world.principals.values():
        for grant in (access.participant_grant, access.document_grant, access.session_grant):
            assert grant(principal, "not-a-uuid") == NOT_FOUND
            assert grant(principal, "00000000-0000-0000-0000-000000000000") == NOT_FOUND


def test_who_may_edit_over_sockets_follows_the_session(world: World) -> None:
    student, teacher, admin = (world.principals[n] for n in ("student", "teacher", "admin"))
    target = world.targets["student"].pk

    def readonly(principal: Principal) -> bool:
        grant = access.participant_grant(principal, target)
        assert isinstance(grant, access.Grant)
        return grant.readonly

    assert (readonly(student), readonly(teacher), readonly(admin)) == (False, False, True)
    ClassSession.objects.filter(pk=world.session.pk).update(teacher_can_edit=False)
    assert (readonly(student), readonly(teacher), readonly(admin)) == (False, True, True)
    ClassSession.objects.filter(pk=world.session.pk).update(state="ended")
    assert (readonly(student), readonly(teacher), readonly(admin)) == (True, True, True)


def test_the_principal_helpers_tell_users_and_guests_apart(world: World) -> None:
    guest, student, admin, superuser, staff = (
        world.principals[n] for n in ("guest", "student", "admin", "superuser", "staff_teacher")
    )
    assert isinstance(guest, GuestPrincipal) and is_guest(guest) and not is_guest(student)
    assert user_id_of(guest) is None and user_id_of(student) == student.pk and user_id_of(None) is None
    assert principal_key(guest) == f"g:{guest.participant_id}" and principal_key(student) == f"u:{student.pk}"
    # One admin rule: the admin role or a superuser; never is_staff alone, never a guest.
    assert [is_admin(p) for p in (admin, superuser, staff, student, guest, None)] == [
        True, True, False, False, False, False,
    ]  # fmt: skip
    assert isinstance(superuser, User) and superuser.role == Role.STUDENT
