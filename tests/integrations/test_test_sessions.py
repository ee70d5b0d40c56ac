"""Test sessions for external tools, in the real sandbox: an interview tool starts a
session, the candidate tries the sample tests and submits each question, the tool reads
the report; hidden tests never reach the tool; the runs are the key's; completing the
session enqueues the key's signed webhook."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.utils import timezone

from coding import limits
from coding.models import Execution
from integrations import webhooks
from integrations.models import TestSession, TestSessionQuestion, WebhookDelivery
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.integrations.test_webhooks import Receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

SUM = "a, b = map(int, input().split())\nprint(a + b)\n"
# Passes the sample (2 3 -> 5), fails the hidden case.
ALMOST = "a, b = map(int, input().split())\nprint(5 if a == 2 else 0)\n"
DOUBLE = "print(2 * int(input()))\n"
HIDDEN_IN, HIDDEN_OUT = "40 2\n", "42\n"


@pytest.fixture(autouse=True)
def _real_sandbox(settings: Any) -> None:
    """These runs go to the real sandbox (the package's conftest picks the fake one)."""
    settings.SANDBOX_BACKEND = "bubblewrap"
    limits._slots = None


def bank(owner: Any) -> tuple[Any, Any]:
    adding = ExerciseFactory(owner=owner, title="Sum", difficulty="easy", statement="# Sum\nRead *two* numbers.")
    IoCaseFactory(exercise=adding, name="small", visibility="sample", stdin="2 3\n", expected_stdout="5\n")
    IoCaseFactory(exercise=adding, name="big secret", visibility="hidden", stdin=HIDDEN_IN,
                  expected_stdout=HIDDEN_OUT, weight=2)  # fmt: skip
    doubling = ExerciseFactory(owner=owner, title="Double", difficulty="easy",
                               starter_files={"python": [{"name": "double.py", "content": "# double\n"}]})
    IoCaseFactory(exercise=doubling, name="two", visibility="sample", stdin="2\n", expected_stdout="4\n")
    IoCaseFactory(exercise=doubling, name="secret double", visibility="hidden", stdin="21\n", expected_stdout="42\n")
    return adding, doubling


def test_a_candidate_takes_a_test_session_and_the_tool_reads_the_report(
    make_key: Any, key_client: Any, teacher: Any, settings: Any
) -> None:
    adding, doubling = bank(teacher)
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback: the operator allows it for the test
    receiver = Receiver()
    try:
        issued = make_key("test-sessions", webhook_url=receiver.url)
        tool = key_client(issued.secret)
        started = tool.post("/api/v1/test-sessions", {"candidate_name": "Ada", "language": "python",
                                                      "difficulty": "easy", "questions": 2}, format="json")
        assert started.status_code == 201, started.content
        body = started.json()
        assert (body["question_number"], body["total_questions"]) == (1, 2)
        session_id = body["session_id"]
        first = body["question"]
        # The question: statement, starter code, the samples; of the hidden test only a count.
        assert first["title"] in ("Sum", "Double") and first["hidden_tests"] == 1 and len(first["sample_tests"]) == 1
        assert first["sample_tests"][0]["stdin"] in ("2 3\n", "2\n") and first["starter_files"]
        assert "secret" not in started.content.decode() and HIDDEN_IN.strip() not in started.content.decode()
        answers = {"Sum": (SUM, ALMOST), "Double": (DOUBLE, "print(4)\n")}
        path = f"/api/v1/test-sessions/{session_id}"

        # Question 1: a wrong try, a right try (sample tests only), then a submit that
        # fails the hidden test.
        right, almost = answers[first["title"]]
        wrong = tool.post(f"{path}/test", {"code": "print(0)\n"}, format="json")
        assert wrong.status_code == 200, wrong.content
        assert (wrong.json()["status"], wrong.json()["passed"], wrong.json()["tests_total"]) == ("graded", False, 1)
        assert wrong.json()["test_results"][0]["status"] == "failed" and wrong.json()["test_results"][0]["stdout"]
        tried = tool.post(f"{path}/test", {"code": almost, "question_number": 1}, format="json")
        assert tried.json()["passed"] is True and tried.json()["hidden_total"] == 0
        # The question was handed out 95 s ago (time spent is handed out -> submitted).
        TestSessionQuestion.objects.filter(session_id=session_id, number=1).update(
            handed_out_at=timezone.now() - datetime.timedelta(seconds=95))
        submitted = tool.post(f"{path}/submit", {"code": almost}, format="json")
        assert submitted.status_code == 200, submitted.content
        result = submitted.json()
        assert (result["status"], result["passed"], result["complete"]) == ("graded", False, False)
        assert (result["hidden_total"], result["hidden_passed"], result["tests_total"]) == (1, 0, 2)
        hidden = [t for t in result["test_results"] if t["visibility"] == "hidden"]
        assert set(hidden[0]) == {"id", "kind", "visibility", "weight", "passed", "status", "score"}
        assert "secret" not in submitted.content.decode()
        second = result["next_question"]
        assert result["next_question_number"] == 2 and second["title"] != first["title"]

        # Question 2: submitted right, with files (the entry named as the starter's).
        right2, _ = answers[second["title"]]
        entry = second["starter_files"][0]["name"]
        done = tool.post(f"{path}/submit", {"files": [{"name": entry, "content": right2}]}, format="json")
        assert done.status_code == 200, done.content
        assert (done.json()["passed"], done.json()["complete"], done.json()["next_question"]) == (True, True, None)
        assert done.json()["score"] == done.json()["max_score"]

        # The report: per question score, attempts and time spent; hidden tests withheld.
        report = tool.get(path)
        assert report.status_code == 200
        data = report.json()
        assert (data["status"], data["complete"], data["question_number"], data["question"]) == (
            "complete", True, None, None)
        one, two = data["questions"]
        assert (one["attempts"], one["sample_runs"], one["passed"], one["state"]) == (3, 2, False, "submitted")
        assert one["score"] == 1 and one["max_score"] == first["max_score"]  # the sample's weight, not the hidden's
        assert one["time_spent_seconds"] >= 95
        assert (two["attempts"], two["passed"]) == (1, True) and two["time_spent_seconds"] >= 0
        assert data["score"] == one["score"] + two["score"]
        assert one["files"][0]["content"] == almost and two["files"][0]["name"] == entry
        assert HIDDEN_IN.strip() not in report.content.decode() and "secret" not in report.content.decode()
        row = TestSessionQuestion.objects.get(session_id=session_id, number=1)
        assert row.submitted_at is not None and row.handed_out_at is not None
        assert one["time_spent_seconds"] == round((row.submitted_at - row.handed_out_at).total_seconds(), 3)

        # Every run (2 tests, 2 submits) was the key's, through the run service.
        runs = Execution.objects.filter(api_key=issued.key)
        assert runs.count() == 4 and not runs.filter(participant__isnull=False).exists()

        # The completed webhook: enqueued, then delivered signed by the key's secret.
        delivery = WebhookDelivery.objects.get()
        assert (delivery.event, delivery.method, delivery.url) == ("test_session.completed", "POST", receiver.url)
        tried_delivery = webhooks.deliver(delivery.pk)
        assert tried_delivery is not None and tried_delivery.state == "delivered"
        method, _, headers, sent = receiver.requests[0]
        assert method == "POST" and headers["X-Observer-Event"] == "test_session.completed"
        assert webhooks.verify(secret=issued.key.webhook_secret, timestamp=headers["X-Observer-Timestamp"],
                               body=sent, signature=headers["X-Observer-Signature"])  # fmt: skip
        payload = json.loads(sent)
        assert payload["event"] == "test_session.completed"
        assert payload["test_session"]["session_id"] == session_id and payload["test_session"]["complete"] is True
        assert "secret" not in sent.decode()
    finally:
        receiver.close()

    # Complete: no more runs, and nothing changes.
    after = tool.post(f"{path}/submit", {"code": SUM}, format="json")
    assert after.status_code == 409 and after.json()["error"]["code"] == "test_session_complete"
    assert tool.post(f"{path}/test", {"code": SUM}, format="json").status_code == 409
    assert Execution.objects.filter(api_key=issued.key).count() == 4
    assert TestSession.objects.get(pk=session_id).state == "complete"


def test_a_compile_error_is_a_graded_answer_and_moves_on(make_key: Any, key_client: Any, teacher: Any) -> None:
    exercise = ExerciseFactory(owner=teacher, difficulty="medium", languages=["c"],
                               starter_files={"c": [{"name": "main.c", "content": "int main(void) {}\n"}]})
    IoCaseFactory(exercise=exercise, stdin="", expected_stdout="hi\n")
    tool = key_client(make_key("test-sessions").secret)
    started = tool.post("/api/v1/test-sessions", {"candidate_name": "Bo", "language": "c", "difficulty": "medium",
                                                  "questions": 1}, format="json").json()  # fmt: skip
    answer = tool.post(f"/api/v1/test-sessions/{started['session_id']}/submit", {"code": "int main( {"},
                       format="json")  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert (answer.json()["status"], answer.json()["score"], answer.json()["complete"]) == ("compile-error", 0, True)
    assert answer.json()["message"]
