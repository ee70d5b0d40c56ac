"""Who may do what with the bank: every principal against every endpoint, for a private
and a shared exercise of "owner".

404 means the principal cannot see the exercise (ids reveal nothing); 403 that they can
see it but may not do this, or, for students and guests, that the bank is not theirs at
all. A refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from exercises.models import Exercise, TestCase
from tests.exercises.conftest import bank_snapshot
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.factories import AdminFactory, TeacherFactory, UserFactory
from tests.sessions.conftest import guest_token
from tests.sessions.factories import GuestParticipantFactory

pytestmark = pytest.mark.django_db

PRINCIPALS = ["owner", "other_teacher", "admin", "student", "guest", "anonymous"]


@dataclass
class World:
    exercise: Exercise
    test: TestCase
    clients: dict[str, Any]

    def url(self, template: str) -> str:
        return template.format(e=self.exercise.pk, t=self.test.pk)


@pytest.fixture(autouse=True)
def _runs_straight_to_the_sandbox(monkeypatch: Any) -> None:
    """The solution check's run goes to the sandbox without the run service here: the
    service records through database_sync_to_async, which closes this test's
    connection inside its transaction on PostgreSQL (test_solution_check runs it
    through the service, in transactional tests)."""
    from coding import runner

    monkeypatch.setattr("exercises.api.queued_run", lambda principal: runner.run_batch)


@pytest.fixture(params=["private", "shared"])
def world(request: Any, client_for: Callable[[Any], Any], api: Any) -> World:
    owner = TeacherFactory()
    exercise = ExerciseFactory(owner=owner, visibility=request.param)
    clients = {
        "owner": client_for(owner),
        "other_teacher": client_for(TeacherFactory()),
        "admin": client_for(AdminFactory()),
        "student": client_for(UserFactory()),
        "guest": client_for(guest_token(GuestParticipantFactory())),
        "anonymous": api,
    }
    return World(exercise, IoCaseFactory(exercise=exercise), clients)


def expect(*, owner: int, reader: int, other_private: int = 404) -> Callable[[str], dict[str, int]]:
    """Statuses per principal: `reader` is what a teacher who can see the exercise but
    does not own it gets (an admin; another teacher when it is shared)."""

    def for_visibility(visibility: str) -> dict[str, int]:
        return {
            "owner": owner, "admin": reader,
            "other_teacher": reader if visibility == "shared" else other_private,
            "student": 403, "guest": 403, "anonymous": 401,
        }  # fmt: skip

    return for_visibility


READ = expect(owner=200, reader=200)
WRITE = expect(owner=200, reader=403)
TEST_BODY = {"kind": "io", "stdin": "1 1\n", "expected_stdout": "2\n"}

ENDPOINTS: dict[str, tuple[str, str, dict[str, Any] | None, Callable[[str], dict[str, int]]]] = {
    "exercise read": ("get", "/api/exercises/{e}/", None, READ),
    "exercise change": ("patch", "/api/exercises/{e}/", {"title": "Renamed"}, WRITE),
    "exercise delete": ("delete", "/api/exercises/{e}/", None, expect(owner=204, reader=403)),
    "tests list": ("get", "/api/exercises/{e}/tests/", None, READ),
    "test create": ("post", "/api/exercises/{e}/tests/", TEST_BODY, expect(owner=201, reader=403)),
    "test read": ("get", "/api/exercises/{e}/tests/{t}/", None, READ),
    "test change": ("patch", "/api/exercises/{e}/tests/{t}/", {"weight": 3}, WRITE),
    "test delete": ("delete", "/api/exercises/{e}/tests/{t}/", None, expect(owner=204, reader=403)),
    "export": ("get", "/api/exercises/{e}/export", None, READ),
    "check solution": ("post", "/api/exercises/{e}/check-solution", {}, WRITE),
}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_it_enforces_the_access_matrix(world: World, endpoint: str, principal: str) -> None:
    method, template, body, expected_for = ENDPOINTS[endpoint]
    expected = expected_for(world.exercise.visibility)[principal]
    before = bank_snapshot()
    response = getattr(world.clients[principal], method)(world.url(template), body, format="json")
    assert response.status_code == expected, (endpoint, principal, getattr(response, "content", b""))
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied", "not_found"}
        assert bank_snapshot() == before
    elif method != "get":
        assert bank_snapshot() != before


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_it_lists_only_what_each_principal_may_see(world: World, principal: str) -> None:
    mine = ExerciseFactory(owner=world.exercise.owner, visibility="private")
    response = world.clients[principal].get("/api/exercises/")
    if principal in ("student", "guest"):
        assert response.status_code == 403
        return
    if principal == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    sees_shared = world.exercise.visibility == "shared"
    expected = {
        "owner": {str(world.exercise.pk), str(mine.pk)},
        "admin": {str(world.exercise.pk), str(mine.pk)},
        "other_teacher": {str(world.exercise.pk)} if sees_shared else set(),
    }[principal]
    assert ids == expected


@pytest.mark.parametrize("principal", ["owner", "other_teacher", "admin"])
def test_each_teacher_creates_exercises_of_their_own(world: World, principal: str) -> None:
    body = {"title": "Mine", "languages": ["python"]}
    response = world.clients[principal].post("/api/exercises/", body, format="json")
    assert response.status_code == 201, response.content
    assert Exercise.objects.get(pk=response.json()["id"]).owner.pk != world.exercise.owner.pk or principal == "owner"


@pytest.mark.parametrize("principal", ["student", "guest", "anonymous"])
def test_students_guests_and_strangers_create_nothing(world: World, principal: str) -> None:
    before = bank_snapshot()
    response = world.clients[principal].post("/api/exercises/", {"title": "X", "languages": ["python"]}, format="json")
    assert response.status_code == (401 if principal == "anonymous" else 403)
    assert bank_snapshot() == before
