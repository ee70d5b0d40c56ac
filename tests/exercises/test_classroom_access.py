"""Who may do what with a session's exercises: every principal against every new
endpoint. 404: no part in the session (ids reveal nothing); 403: part of it, but not
allowed. A refused request changes nothing; what a student may read never holds a
hidden test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from exercises import classroom
from exercises.models import Feedback, SessionExercise, Submission
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.factories import AdminFactory, TeacherFactory
from tests.sessions.conftest import guest_token
from tests.sessions.factories import ClassSessionFactory, GuestParticipantFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

PRINCIPALS = ["teacher", "other_teacher", "admin", "student", "peer", "guest", "outsider", "anonymous"]
HIDDEN_STDIN = "hidden-input-7431"
HIDDEN_EXPECTED = "hidden-expected-9902"


@dataclass
class World:
    session: Any
    link: SessionExercise
    student: Any
    clients: dict[str, Any]
    other_exercise: Any

    def url(self, template: str) -> str:
        return template.format(s=self.session.pk, l=self.link.pk, p=self.student.pk)


@pytest.fixture(autouse=True)
def _no_grading(monkeypatch: Any) -> None:
    """Grading itself is test_classroom's (in the sandbox); here a Submit is only recorded."""
    monkeypatch.setattr(classroom, "launch", lambda *, submission, principal: submission)


@pytest.fixture
def world(client_for: Callable[[Any], Any], api: Any) -> World:
    session = ClassSessionFactory()
    exercise = ExerciseFactory(owner=session.teacher)
    IoCaseFactory(exercise=exercise, visibility="sample")
    IoCaseFactory(exercise=exercise, visibility="hidden", stdin=HIDDEN_STDIN, expected_stdout=HIDDEN_EXPECTED)
    student = ParticipantFactory(session=session)
    peer = ParticipantFactory(session=session)
    guest = GuestParticipantFactory(session=session)
    link = classroom.link_create(session=session, exercise=exercise)  # their starter files
    Submission.objects.create(link=link, participant=student, kind="submit", language="python", status="graded",
                              results={"tests": [{"id": "x", "kind": "io", "visibility": "hidden", "weight": 1,
                                                  "passed": False, "status": "failed", "score": 0,
                                                  "stdin": HIDDEN_STDIN, "expected": HIDDEN_EXPECTED}]})  # fmt: skip
    outsider = ParticipantFactory()  # a student of another session
    clients = {
        "teacher": client_for(session.teacher), "other_teacher": client_for(TeacherFactory()),
        "admin": client_for(AdminFactory()), "student": client_for(student.user), "peer": client_for(peer.user),
        "guest": client_for(guest_token(guest)), "outsider": client_for(outsider.user), "anonymous": api,
    }  # fmt: skip
    return World(session, link, student, clients, ExerciseFactory(owner=session.teacher))


def everything() -> dict[str, Any]:
    return {
        "links": list(SessionExercise.objects.order_by("pk").values()),
        "submissions": list(Submission.objects.order_by("pk").values()),
        "feedback": list(Feedback.objects.order_by("pk").values()),
    }


T, A, ST, PE, G, N = "teacher", "admin", "student", "peer", "guest", "anonymous"
# (method, url, body, {principal: expected status}); a principal missing from the map gets `default`.
CASES: list[tuple[str, str, Any, dict[str, int], int]] = [
    ("get", "/api/sessions/{s}/exercises/", None,
     {T: 200, A: 200, ST: 200, PE: 200, G: 200}, 404),
    ("post", "/api/sessions/{s}/exercises/", "attach",
     {T: 201, A: 403, ST: 403, PE: 403, G: 403}, 404),
    ("patch", "/api/sessions/{s}/exercises/{l}/", {"is_open": False},
     {T: 200, A: 403, ST: 403, PE: 403, G: 403}, 404),
    ("delete", "/api/sessions/{s}/exercises/{l}/", None,
     {T: 204, A: 403, ST: 403, PE: 403, G: 403}, 404),
    ("post", "/api/sessions/{s}/exercises/{l}/regrade", {"participant_id": "{p}"},
     {T: 202, A: 403, ST: 403, PE: 403, G: 403}, 404),
    ("get", "/api/sessions/{s}/exercises/grid", None, {T: 200, A: 200, ST: 403, PE: 403, G: 403}, 404),
    ("get", "/api/sessions/{s}/grades.csv", None, {T: 200, A: 200, ST: 403, PE: 403, G: 403}, 404),
    ("post", "/api/participants/{p}/exercises/{l}/check", None, {T: 403, A: 403, ST: 202}, 404),
    ("post", "/api/participants/{p}/exercises/{l}/submit", None, {T: 403, A: 403, ST: 202}, 404),
    ("get", "/api/participants/{p}/submissions/", None, {T: 200, A: 200, ST: 200}, 404),
    ("get", "/api/participants/{p}/feedback/", None, {T: 200, A: 200, ST: 200}, 404),
    ("post", "/api/participants/{p}/feedback/", {"file_name": "main.py", "line": 1, "text": "ok"},
     {T: 201, A: 403, ST: 403}, 404),
]  # fmt: skip


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_access(world: World, principal: str, case: Any, regrade_runs_nothing: None) -> None:
    method, template, body, allowed, default = case
    expected = 401 if principal == N else allowed.get(principal, default)
    if template.startswith("/api/participants/") and principal in (PE, G):
        expected = 403  # other students of the session: they see the session, not this student's work
    if body == "attach":
        body = {"exercise_id": str(world.other_exercise.pk)}
    elif isinstance(body, dict):
        body = {k: v.format(p=world.student.pk) if isinstance(v, str) else v for k, v in body.items()}
    before = everything()
    client = world.clients[principal]
    response = getattr(client, method)(world.url(template), body, format="json") if body is not None else getattr(
        client, method)(world.url(template))  # fmt: skip
    assert response.status_code == expected, (principal, response.content[:300])
    if expected >= 400:
        assert everything() == before
        assert set(response.json()) == {"error"}
    # No one but the teacher and admins ever reads a hidden test's content.
    if principal not in (T, A) and response.status_code < 300 and method == "get":
        text = response.content.decode()
        assert HIDDEN_STDIN not in text and HIDDEN_EXPECTED not in text


@pytest.fixture
def regrade_runs_nothing(monkeypatch: Any) -> None:
    async def nothing(**kwargs: Any) -> None:
        return None

    monkeypatch.setattr(classroom, "regrade_all", nothing)
