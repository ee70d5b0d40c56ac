"""Exercises in a session: attaching, starter files, Check and Submit through the run
service in the real sandbox, scores under the policy, the grid, grades.csv, regrade and
feedback; hidden tests never reach the student."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest

from coding.models import Execution
from exercises import classroom
from exercises.models import Submission
from observer import contract
from sessions.models import Document
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.sessions.conftest import guest_token
from tests.sessions.factories import ClassSessionFactory, GuestParticipantFactory, ParticipantFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

SOLUTION = "a, b = map(int, input().split())\nprint(a + b)\n"
# Passes the sample (2 3 -> 5), fails the hidden case (40 2 -> 42).
ALMOST = "a, b = map(int, input().split())\nprint(5 if a == 2 else 0)\n"
HIDDEN_IN, HIDDEN_OUT = "40 2\n", "SECRET-42\n"


@pytest.fixture
def events(monkeypatch: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every event the grading sends (from the loop or after a commit), each checked
    against the session socket's contract."""
    sent: list[tuple[str, dict[str, Any]]] = []

    def record(groups: list[str], event: Any) -> None:
        for group in groups:
            sent.append((group, dict(event)))

    def record_on_commit(*, groups: list[str], event: Any) -> None:
        record(groups, event)

    monkeypatch.setattr(classroom, "publish", record)
    monkeypatch.setattr(classroom.events, "broadcast_on_commit", record_on_commit)
    return sent


def make_class(hidden_expected: str = "42\n") -> tuple[Any, Any, Any]:
    session = ClassSessionFactory(starter_files=[])
    exercise = ExerciseFactory(owner=session.teacher, statement="# Sum\nRead *two* numbers.<script>x</script>",
                               starter_files={"python": [{"name": "main.py", "content": "# sum\n"}]})  # fmt: skip
    IoCaseFactory(exercise=exercise, name="small", visibility="sample", stdin="2 3\n", expected_stdout="5\n")
    IoCaseFactory(exercise=exercise, name="big secret", visibility="hidden", stdin=HIDDEN_IN,
                  expected_stdout=hidden_expected, weight=2)  # fmt: skip
    return session, exercise, session.teacher


def write(participant: Any, source: str) -> None:
    Document.objects.filter(participant=participant, name="main.py").update(content=source)


def test_a_class_checks_submits_and_the_teacher_sees_grades(client_for: Any, events: list[Any]) -> None:
    session, exercise, teacher = make_class()
    early = ParticipantFactory(session=session)
    teacher_client = client_for(teacher)
    response = teacher_client.post(f"/api/sessions/{session.pk}/exercises/", {"exercise_id": str(exercise.pk)},
                                   format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    link_id = response.json()["id"]
    assert response.json()["hidden_tests"] == 1 and response.json()["max_score"] == 3
    # Starter files: to the students present, and to one who joins later.
    assert Document.objects.filter(participant=early, name="main.py").exists()
    late = GuestParticipantFactory(session=session)
    assert Document.objects.filter(participant=late, name="main.py").exists()

    # The student's view: statement rendered safely, sample shown, hidden counted only.
    student = client_for(early.user)
    listed = student.get(f"/api/sessions/{session.pk}/exercises/")
    assert listed.status_code == 200
    (item,) = listed.json()
    assert "<em>two</em>" in item["statement_html"] and "<script>" not in item["statement_html"]
    assert item["sample_tests"][0]["stdin"] == "2 3\n" and item["hidden_tests"] == 1
    # (as JSON strings: a uuid may well contain "42")
    assert '"40 2\\n"' not in listed.content.decode() and '"42\\n"' not in listed.content.decode()
    assert "big secret" not in listed.content.decode()

    write(early, SOLUTION)
    write(late, ALMOST)
    guest = client_for(guest_token(late))

    check = student.post(f"/api/participants/{early.pk}/exercises/{link_id}/check")
    assert check.status_code == 202, check.content
    assert check.json()["status"] == "graded" and check.json()["kind"] == "check"
    assert check.json()["score"] == 1 and len(check.json()["tests"]) == 1  # the sample only

    ok = student.post(f"/api/participants/{early.pk}/exercises/{link_id}/submit")
    bad = guest.post(f"/api/participants/{late.pk}/exercises/{link_id}/submit")
    assert (ok.json()["score"], ok.json()["max_score"], ok.json()["passed"]) == (3, 3, True)
    body = bad.json()
    assert (body["score"], body["passed"], body["hidden_total"], body["hidden_passed"]) == (1, False, 1, 0)
    hidden = [t for t in body["tests"] if t["visibility"] == "hidden"]
    assert set(hidden[0]) == {"id", "kind", "visibility", "weight", "passed", "status", "score"}
    assert HIDDEN_IN.strip() not in bad.content.decode() and "big secret" not in bad.content.decode()

    # The runs were the students' own, through the run service.
    runs = Execution.objects.filter(participant=late)
    assert runs.count() == 1 and runs.get().session_id == session.pk

    # Events: progress and the result to the student's own tabs, the cell to the teachers;
    # every one follows the contract, and none sent to a student carries the hidden case.
    for group, event in events:
        assert contract.problems(event, socket="session") == [], event
        if group.startswith("participant."):
            text = json.dumps(event)
            assert HIDDEN_IN.strip() not in text and "big secret" not in text
    kinds = {(group.split(".")[0], event["type"]) for group, event in events}
    assert {("participant", "exercise.progress"), ("participant", "exercise.result"),
            ("session", "exercise.graded"), ("session", "exercises.changed")} <= kinds  # fmt: skip
    progress = [e for g, e in events if e["type"] == "exercise.progress" and e["submission_id"] == ok.json()["id"]]
    assert progress[-1]["done"] == progress[-1]["total"] == 2

    # The student's own submissions list: no hidden content either; the teacher's: whole.
    mine = guest.get(f"/api/participants/{late.pk}/submissions/")
    assert mine.status_code == 200 and HIDDEN_IN.strip() not in mine.content.decode()
    whole = teacher_client.get(f"/api/participants/{late.pk}/submissions/").json()
    assert any(t.get("stdin") == HIDDEN_IN for t in whole[0]["results"]["tests"])

    # The grid: the failing student first; statistics say which test fails.
    grid = teacher_client.get(f"/api/sessions/{session.pk}/exercises/grid").json()
    assert [row["participant_id"] for row in grid["rows"]] == [str(late.pk), str(early.pk)]
    stats = grid["exercises"][0]["stats"]
    assert stats["submitted"] == 2 and stats["passed_all"] == 1
    assert stats["most_failed_test"]["name"] == "big secret" and stats["most_failed_test"]["failed"] == 1

    figures = teacher_client.get(f"/api/sessions/{session.pk}/analytics").json()
    assert figures["session"]["exercises"]["submissions"] == 2 and figures["session"]["exercises"]["max_total"] == 3
    by_student = {s["participant_id"]: s["exercises"] for s in figures["students"]}
    assert by_student[str(early.pk)]["scores"] == {link_id: 3} and by_student[str(late.pk)]["failing"] == 1

    grades = teacher_client.get(f"/api/sessions/{session.pk}/grades.csv")
    assert grades.status_code == 200 and grades["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(grades.content.decode())))
    assert rows[0] == ["participant_id", "display_name", f"{exercise.title} (/3)", "total", "max_total"]
    scores = {row[0]: row[2:] for row in rows[1:]}
    assert scores[str(early.pk)] == ["3", "3", "3"] and scores[str(late.pk)] == ["1", "1", "3"]

    # Feedback on a line: the student reads it; the export keeps it with grades.csv.
    comment = teacher_client.post(f"/api/participants/{late.pk}/feedback/",
                                  {"file_name": "main.py", "line": 2, "text": "Why 5?"}, format="json")  # fmt: skip
    assert comment.status_code == 201, comment.content
    assert guest.get(f"/api/participants/{late.pk}/feedback/").json()[0]["text"] == "Why 5?"
    export = teacher_client.get(f"/api/sessions/{session.pk}/export", HTTP_ACCEPT="application/zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content)))
    assert archive.read("grades.csv").decode() == grades.content.decode()
    assert json.loads(archive.read("feedback.json"))[0]["line"] == 2

    # The teacher fixes the hidden test; a regrade runs every latest submission again.
    exercise.tests.filter(name="big secret").update(expected_stdout="0\n")
    regrade = teacher_client.post(f"/api/sessions/{session.pk}/exercises/{link_id}/regrade", {}, format="json")
    assert regrade.status_code == 202 and regrade.json() == {"submissions": 2}
    latest = {s.participant_id: s for s in Submission.objects.filter(kind="submit")}
    assert latest[late.pk].score == 3 and latest[early.pk].score == 1 and latest[late.pk].regraded == 1
    assert [e["done"] for g, e in events if e["type"] == "exercise.regrade"] == [0, 1, 2]


def test_the_best_or_the_last_submission_counts(client_for: Any, events: list[Any]) -> None:
    session, exercise, teacher = make_class()
    participant = ParticipantFactory(session=session)
    link = classroom.link_create(session=session, exercise=exercise, policy="best")
    student = client_for(participant.user)
    write(participant, SOLUTION)
    student.post(f"/api/participants/{participant.pk}/exercises/{link.pk}/submit")
    write(participant, ALMOST)
    student.post(f"/api/participants/{participant.pk}/exercises/{link.pk}/submit")
    assert classroom.counted_score(link=link, participant=participant) == 3
    client_for(teacher).patch(f"/api/sessions/{session.pk}/exercises/{link.pk}/", {"policy": "last"}, format="json")
    link.refresh_from_db()
    assert classroom.counted_score(link=link, participant=participant) == 1


def test_a_regrade_is_not_cut_short_by_the_teachers_run_limit(
    client_for: Any, events: list[Any], settings: Any
) -> None:
    session, exercise, teacher = make_class()
    students = [ParticipantFactory(session=session) for _ in range(3)]
    link = classroom.link_create(session=session, exercise=exercise)
    for student in students:
        write(student, SOLUTION)
        submitted = client_for(student.user).post(f"/api/participants/{student.pk}/exercises/{link.pk}/submit")
        assert submitted.json()["score"] == 3
    settings.RUN_LIMITS = {"runs_per_window": 1}  # fewer than the submissions to regrade
    exercise.tests.filter(name="big secret").update(expected_stdout="43\n")
    teacher_client = client_for(teacher)
    response = teacher_client.post(f"/api/sessions/{session.pk}/exercises/{link.pk}/regrade", {}, format="json")
    assert response.json() == {"submissions": 3}
    assert [(s.score, s.regraded) for s in Submission.objects.filter(kind="submit")] == [(1, 1)] * 3
    # One student's work alone.
    exercise.tests.filter(name="big secret").update(expected_stdout="42\n")
    teacher_client.post(f"/api/sessions/{session.pk}/exercises/{link.pk}/regrade",
                        {"participant_id": str(students[0].pk)}, format="json")  # fmt: skip
    scores = {s.participant_id: (s.score, s.regraded) for s in Submission.objects.filter(kind="submit")}
    assert scores == {students[0].pk: (3, 2), students[1].pk: (1, 1), students[2].pk: (1, 1)}
