"""Bad input to a session's exercises: a clear error in the standard shape, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from exercises import classroom
from exercises.models import Feedback, SessionExercise, Submission
from sessions.models import Document
from tests.exercises.conftest import refused
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.sessions.factories import ClassSessionFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_grading(monkeypatch: Any) -> None:
    monkeypatch.setattr(classroom, "launch", lambda *, submission, principal: submission)


def everything() -> dict[str, Any]:
    return {
        "links": list(SessionExercise.objects.order_by("pk").values()),
        "submissions": list(Submission.objects.order_by("pk").values()),
        "feedback": list(Feedback.objects.order_by("pk").values()),
        "documents": list(Document.objects.order_by("pk").values("pk", "name", "content")),
    }


@pytest.fixture
def setup(client_for: Any) -> dict[str, Any]:
    session = ClassSessionFactory()
    exercise = ExerciseFactory(owner=session.teacher)
    IoCaseFactory(exercise=exercise, visibility="sample")
    participant = ParticipantFactory(session=session)
    link = classroom.link_create(session=session, exercise=exercise)
    return {"session": session, "exercise": exercise, "participant": participant, "link": link,
            "teacher": client_for(session.teacher), "student": client_for(participant.user)}  # fmt: skip


ATTACH_BAD = [
    ({}, "exercise_id"),
    ({"exercise_id": "not-a-uuid"}, "exercise_id"),
    ({"exercise_id": "00000000-0000-0000-0000-000000000000"}, "exercise_id"),
    ({"exercise_id": "{java}"}, "exercise_id"),  # no version in the session's language
    ({"exercise_id": "{private}"}, "exercise_id"),  # another teacher's private exercise
    ({"exercise_id": "{fresh}", "policy": "worst"}, "policy"),
    ({"exercise_id": "{fresh}", "deadline": "tomorrow"}, "deadline"),
    ({"exercise_id": "{fresh}", "is_open": "maybe"}, "is_open"),
]


@pytest.mark.parametrize(("body", "field"), ATTACH_BAD)
def test_attach_refuses_bad_input(setup: dict[str, Any], body: dict[str, Any], field: str) -> None:
    ids = {"java": ExerciseFactory(owner=setup["session"].teacher, languages=["java"]).pk,
           "private": ExerciseFactory().pk, "fresh": ExerciseFactory(owner=setup["session"].teacher).pk}  # fmt: skip
    body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    before = everything()
    error = refused(setup["teacher"].post(f"/api/sessions/{setup['session'].pk}/exercises/", body, format="json"),
                    400, "invalid")  # fmt: skip
    assert field in error["details"]
    assert everything() == before


def test_attaching_twice_or_to_an_ended_session_is_a_conflict(setup: dict[str, Any]) -> None:
    url = f"/api/sessions/{setup['session'].pk}/exercises/"
    before = everything()
    refused(setup["teacher"].post(url, {"exercise_id": str(setup["exercise"].pk)}, format="json"), 409,
            "already_attached")  # fmt: skip
    setup["session"].state, setup["session"].ended_at = "ended", timezone.now()
    setup["session"].save()
    refused(setup["teacher"].post(url, {"exercise_id": str(ExerciseFactory(owner=setup["session"].teacher).pk)},
                                  format="json"), 409, "session_ended")  # fmt: skip
    refused(setup["student"].post(f"/api/participants/{setup['participant'].pk}/exercises/{setup['link'].pk}/submit"),
            409, "session_ended")  # fmt: skip
    assert everything() == before


def test_a_closed_exercise_or_one_of_another_session_cannot_be_submitted(setup: dict[str, Any]) -> None:
    participant, link = setup["participant"], setup["link"]
    other = classroom.link_create(session=ClassSessionFactory(teacher=setup["session"].teacher),
                                  exercise=setup["exercise"])  # fmt: skip
    classroom.link_update(link=link, data={"is_open": False})
    before = everything()
    refused(setup["student"].post(f"/api/participants/{participant.pk}/exercises/{link.pk}/check"), 409,
            "exercise_closed")  # fmt: skip
    refused(setup["student"].post(f"/api/participants/{participant.pk}/exercises/{other.pk}/check"), 404,
            "not_found")  # fmt: skip
    assert everything() == before


def test_a_submission_over_the_source_cap_or_without_files_is_refused(setup: dict[str, Any]) -> None:
    participant, link = setup["participant"], setup["link"]
    url = f"/api/participants/{participant.pk}/exercises/{link.pk}/submit"
    Document.objects.filter(participant=participant).update(content="x" * (3 * 1024 * 1024))
    before = everything()
    error = refused(setup["student"].post(url), 400, "invalid")
    assert "too large" in error["message"]
    Document.objects.filter(participant=participant).delete()
    before = everything()
    refused(setup["student"].post(url), 400, "invalid")
    assert everything() == before


FEEDBACK_BAD = [
    ({"line": 1, "text": "x"}, "file_name"),
    ({"file_name": "main.py", "line": 0, "text": "x"}, "line"),
    ({"file_name": "main.py", "line": "two", "text": "x"}, "line"),
    ({"file_name": "main.py", "line": 1, "text": ""}, "text"),
    ({"file_name": "main.py", "line": 1, "text": "x" * 2001}, "text"),
    ({"file_name": "main.py", "line": 1, "text": "x", "submission_id": "{foreign}"}, "submission_id"),
]


@pytest.mark.parametrize(("body", "field"), FEEDBACK_BAD)
def test_feedback_refuses_bad_input(setup: dict[str, Any], body: dict[str, Any], field: str) -> None:
    foreign = Submission.objects.create(link=setup["link"], participant=ParticipantFactory(session=setup["session"]),
                                        kind="submit", language="python")  # fmt: skip
    body = {k: v.format(foreign=foreign.pk) if isinstance(v, str) else v for k, v in body.items()}
    before = everything()
    error = refused(setup["teacher"].post(f"/api/participants/{setup['participant'].pk}/feedback/", body,
                                          format="json"), 400, "invalid")  # fmt: skip
    assert field in error["details"]
    assert everything() == before


def test_regrade_and_patch_refuse_bad_input(setup: dict[str, Any]) -> None:
    session, link = setup["session"], setup["link"]
    before = everything()
    stranger = {"participant_id": str(ParticipantFactory().pk)}
    refused(setup["teacher"].post(f"/api/sessions/{session.pk}/exercises/{link.pk}/regrade", stranger, format="json"),
            400, "invalid")  # fmt: skip
    refused(setup["teacher"].patch(f"/api/sessions/{session.pk}/exercises/{link.pk}/", {"order": -1}, format="json"),
            400, "invalid")  # fmt: skip
    refused(setup["teacher"].get(f"/api/participants/{setup['participant'].pk}/submissions/?session_exercise=x"),
            400, "invalid")  # fmt: skip
    assert everything() == before


def test_a_compile_error_does_not_quote_a_hidden_unit_test(setup: dict[str, Any]) -> None:
    """C compiles hidden unit-test files with the student's: their source must not reach
    the student through the compiler's message."""
    from exercises.models import TestCase

    session = ClassSessionFactory(teacher=setup["session"].teacher, language="c")
    exercise = ExerciseFactory(owner=session.teacher, languages=["c"], starter_files={}, solution_files={})
    unit = {"c": {"name": "secret_test.c", "content": "TEST(x) { CHECK(f(41) == 42); }"}}
    TestCase.objects.create(exercise=exercise, kind="unit", visibility="hidden", unit_files=unit)
    participant = ParticipantFactory(session=session)
    link = classroom.link_create(session=session, exercise=exercise)
    message = ("main.c:3:1: error: expected ';' before '}' token\n"
               "secret_test.c:1:20: error: implicit declaration of function 'f'\n"
               "    1 | TEST(x) { CHECK(f(41) == 42); }\n")  # fmt: skip
    files = [{"name": "main.c", "content": "int main() { return 0 }"}]
    submission = Submission.objects.create(link=link, participant=participant, kind="submit", language="c",
                                           status="compile-error", message=message, files=files)  # fmt: skip
    shown = classroom.student_view(submission)["message"]
    assert "main.c:3:1: error: expected ';'" in shown
    assert "secret_test" not in shown and "f(41)" not in shown
    assert classroom.teacher_view(submission)["message"] == message


def test_a_submission_after_the_deadline_is_kept_and_marked_late(setup: dict[str, Any]) -> None:
    from datetime import timedelta

    link, participant = setup["link"], setup["participant"]
    classroom.link_update(link=link, data={"deadline": timezone.now() - timedelta(minutes=1)})
    late = setup["student"].post(f"/api/participants/{participant.pk}/exercises/{link.pk}/submit")
    assert late.status_code == 202 and late.json()["late"] is True
    classroom.link_update(link=link, data={"deadline": timezone.now() + timedelta(hours=1)})
    on_time = setup["student"].post(f"/api/participants/{participant.pk}/exercises/{link.pk}/submit")
    assert on_time.json()["late"] is False
    assert [s.late for s in Submission.objects.order_by("created_at")] == [True, False]
