"""Test sessions: who may do what (scopes, another key's session), bad input answered in
the standard error shape without changing anything, and the per-key limits.

Runs here go to the fake backend (tests/integrations/conftest.py): these tests are about
what happens around a run; test_test_sessions.py grades in the real sandbox."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from coding.models import Execution
from exercises.models import Exercise
from integrations.models import ApiKey, TestSession, TestSessionQuestion, WebhookDelivery
from tests.exercises.conftest import refused
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db(transaction=True)

START = {"candidate_name": "Ada", "language": "python", "difficulty": "easy", "questions": 1}


def question(owner: Any, **fields: Any) -> Any:
    exercise = ExerciseFactory(owner=owner, **{"difficulty": "easy", **fields})
    IoCaseFactory(exercise=exercise, visibility="sample")
    IoCaseFactory(exercise=exercise, visibility="hidden", stdin="1 1\n", expected_stdout="2\n")
    return exercise


def state() -> dict[str, Any]:
    """What a refused request must leave as it was."""
    return {
        "sessions": list(TestSession.objects.order_by("pk").values()),
        "questions": list(TestSessionQuestion.objects.order_by("pk").values()),
        "runs": Execution.objects.count(),
        "deliveries": WebhookDelivery.objects.count(),
    }


def start(client: Any, **fields: Any) -> Any:
    return client.post("/api/v1/test-sessions", {**START, **fields}, format="json")


def test_the_access_matrix(make_key: Any, key_client: Any, teacher: Any, api: Any, client_for: Any) -> None:
    question(teacher)
    owner_key, other_key = make_key("test-sessions"), make_key("test-sessions")
    execute_only, read_only = make_key("execute"), make_key("read")
    session_id = start(key_client(owner_key.secret)).json()["session_id"]
    path = f"/api/v1/test-sessions/{session_id}"
    body = {"code": "print(1)\n"}

    # Creating: the test-sessions scope only; no key (or a user's token) is a 401.
    assert start(key_client(execute_only.secret)).status_code == 403
    assert start(key_client(read_only.secret)).status_code == 403
    assert start(api).status_code == 401
    assert start(client_for(teacher)).status_code == 401  # a user's token opens nothing here
    assert start(key_client("obs_nope_nope")).status_code == 401

    before = state()
    # Another key's session is a 404, for every operation (even the same owner's other key).
    other = key_client(other_key.secret)
    refused(other.get(path), 404, "not_found")
    refused(other.post(f"{path}/test", body, format="json"), 404, "not_found")
    refused(other.post(f"{path}/submit", body, format="json"), 404, "not_found")
    # Running needs the test-sessions scope; the report may also be read with `read`,
    # of the key's own sessions only.
    for client in (key_client(execute_only.secret), key_client(read_only.secret)):
        refused(client.post(f"{path}/test", body, format="json"), 403, "permission_denied")
        refused(client.post(f"{path}/submit", body, format="json"), 403, "permission_denied")
    refused(key_client(execute_only.secret).get(path), 403, "permission_denied")
    refused(key_client(read_only.secret).get(path), 404, "not_found")
    refused(key_client(owner_key.secret).get("/api/v1/test-sessions/00000000-0000-0000-0000-000000000000"),
            404, "not_found")  # fmt: skip
    refused(api.get(path), 401, "not_authenticated")
    assert state() == before

    own = key_client(owner_key.secret)
    assert own.get(path).status_code == 200
    answer = own.post(f"{path}/test", body, format="json")
    assert answer.status_code == 200 and answer["X-RateLimit-Limit"] == "200"
    assert Execution.objects.get().api_key_id == owner_key.key.pk


def test_the_bank_is_the_keys_owners_own_and_shared_exercises(make_key: Any, key_client: Any, teacher: Any) -> None:
    stranger = TeacherFactory()
    private = question(stranger, title="Private")
    tool = key_client(make_key("test-sessions").secret)
    before = state()
    refused(start(tool), 400, "invalid")
    assert state() == before
    Exercise.objects.filter(pk=private.pk).update(visibility="shared")
    started = start(tool)
    assert started.status_code == 201 and started.json()["question"]["title"] == "Private"


@pytest.mark.parametrize(("fields", "field"), [
    ({"language": "cobol"}, "language"),
    ({"language": "javascript"}, "difficulty"),  # no question offers it
    ({"difficulty": "hard"}, "difficulty"),  # none of that difficulty
    ({"difficulty": "extreme"}, "difficulty"),
    ({"questions": 2}, "questions"),  # only one in the bank
    ({"questions": 0}, "questions"),
    ({"questions": 21}, "questions"),
    ({"candidate_name": 7}, "candidate_name"),
    ({"candidate_name": ""}, "candidate_name"),
])
def test_bad_starts_are_400_and_keep_nothing(make_key: Any, key_client: Any, teacher: Any,
                                              fields: dict[str, Any], field: str) -> None:
    question(teacher)
    question(teacher, difficulty="hard", languages=["c"])  # of that difficulty, but not in Python
    tool = key_client(make_key("test-sessions").secret)
    before = state()
    error = refused(start(tool, **fields), 400, "invalid")
    assert field in error["details"], error
    assert state() == before


def test_an_exercise_without_tests_is_never_picked(make_key: Any, key_client: Any, teacher: Any) -> None:
    ExerciseFactory(owner=teacher, difficulty="easy")
    refused(start(key_client(make_key("test-sessions").secret)), 400, "invalid")


def _session(make_key: Any, key_client: Any, teacher: Any, **key_fields: Any) -> tuple[Any, str]:
    question(teacher)
    tool = key_client(make_key("test-sessions", **key_fields).secret)
    started = start(tool)
    assert started.status_code == 201, started.content
    return tool, f"/api/v1/test-sessions/{started.json()['session_id']}"


@pytest.mark.parametrize(("body", "field"), [
    ({"code": "x = 1\n" * 300_000}, "code"),  # 2.1 MB: over the source cap (1 MB), under the upload limit
    ({}, "code"),
    ({"code": "print(1)", "files": [{"name": "main.py", "content": "print(1)"}]}, "code"),
    ({"code": 12}, "code"),
    ({"files": []}, "files"),
    ({"files": [{"name": "../main.py", "content": "print(1)"}]}, "files"),
    ({"files": [{"name": "observer_harness.py", "content": "print(1)"}]}, "files"),
    ({"files": [{"name": "a.py", "content": "1"}, {"name": "a.py", "content": "2"}]}, "files"),
    ({"code": "print(1)", "question_number": 0}, "question_number"),
])
@pytest.mark.parametrize("action", ["test", "submit"])
def test_bad_code_is_400_and_runs_nothing(make_key: Any, key_client: Any, teacher: Any, body: dict[str, Any],
                                          field: str, action: str) -> None:
    tool, path = _session(make_key, key_client, teacher)
    before = state()
    error = refused(tool.post(f"{path}/{action}", body, format="json"), 400, "invalid")
    assert field in error["details"], error
    assert state() == before


def test_a_body_of_ten_megabytes_is_a_413(make_key: Any, key_client: Any, teacher: Any) -> None:
    tool, path = _session(make_key, key_client, teacher)
    before = state()
    response = tool.post(f"{path}/submit", {"code": "#" * (10 * 1024 * 1024)}, format="json")
    assert response.status_code == 413 and set(response.json()["error"]) == {"code", "message", "details"}
    assert state() == before


def test_conflicts_leave_everything_as_it_was(make_key: Any, key_client: Any, teacher: Any) -> None:
    tool, path = _session(make_key, key_client, teacher)
    before = state()
    refused(tool.post(f"{path}/submit", {"code": "print(1)", "question_number": 2}, format="json"), 409,
            "question_changed")  # fmt: skip
    assert state() == before
    done = tool.post(f"{path}/submit", {"code": "print(1)"}, format="json")
    assert done.status_code == 200 and done.json()["complete"] is True
    after = state()
    for action in ("test", "submit"):
        refused(tool.post(f"{path}/{action}", {"code": "print(1)"}, format="json"), 409, "test_session_complete")
    assert state() == after


def test_a_question_removed_from_the_bank(make_key: Any, key_client: Any, teacher: Any) -> None:
    tool, path = _session(make_key, key_client, teacher)
    Exercise.objects.all().delete()
    before = state()
    refused(tool.post(f"{path}/submit", {"code": "print(1)"}, format="json"), 409, "question_unavailable")
    assert state() == before
    report = tool.get(path).json()
    assert report["questions"][0]["title"].startswith("Exercise") and report["questions"][0]["exercise_id"] is None


def test_the_test_sessions_rate_applies_per_key(make_key: Any, key_client: Any, teacher: Any,
                                                settings: Any) -> None:
    question(teacher)
    settings.API_KEY_TEST_SESSIONS_RATE = "2/15m"  # the default for keys that set none (50/15m)
    tool, own_rate = key_client(make_key("test-sessions").secret), key_client(
        make_key("test-sessions", test_sessions_rate="3/15m").secret)
    assert [start(tool).status_code for _ in range(2)] == [201, 201]
    before = state()
    error = refused(start(tool), 429, "rate_limited")
    assert error["details"]["retry_after"] >= 1
    assert state() == before
    assert [start(own_rate).status_code for _ in range(4)] == [201, 201, 201, 429]


def test_runs_take_the_keys_executions_allowance(make_key: Any, key_client: Any, teacher: Any) -> None:
    tool, path = _session(make_key, key_client, teacher, executions_rate="1/m")
    assert tool.post(f"{path}/test", {"code": "print(1)"}, format="json").status_code == 200
    before = state()
    refused(tool.post(f"{path}/test", {"code": "print(1)"}, format="json"), 429, "rate_limited")
    refused(tool.post(f"{path}/submit", {"code": "print(1)"}, format="json"), 429, "rate_limited")
    assert state() == before  # the submit's question is not held: it can be submitted once allowed


def test_a_keys_webhook_url_is_checked_and_shown(client_for: Any, teacher: Any) -> None:
    client = client_for(teacher)
    bad = client.post("/api/integrations/keys/", {"name": "tool", "scopes": ["test-sessions"],
                                                  "webhook_url": "http://169.254.169.254/latest"}, format="json")
    assert refused(bad, 400, "invalid")["details"]["webhook_url"]
    assert not ApiKey.objects.exists()
    good = client.post("/api/integrations/keys/", {"name": "tool", "scopes": ["test-sessions"],
                                                   "webhook_url": "https://93.184.215.14/hook",
                                                   "test_sessions_rate": "5/15m"}, format="json")
    assert good.status_code == 201, good.content
    assert (good.json()["webhook_url"], good.json()["test_sessions_rate"]) == ("https://93.184.215.14/hook", "5/15m")


def test_no_webhook_without_a_url(make_key: Any, key_client: Any, teacher: Any) -> None:
    tool, path = _session(make_key, key_client, teacher)
    assert tool.post(f"{path}/submit", {"code": "print(1)"}, format="json").json()["complete"] is True
    assert not WebhookDelivery.objects.exists()


def test_the_openapi_document_describes_test_sessions(api: Any) -> None:
    document = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = document["paths"]
    create = paths["/api/v1/test-sessions"]["post"]
    assert {"apiKey": []} in create["security"] and {"201", "400", "429"} <= set(create["responses"])
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][ref]["properties"]) == {"candidate_name", "language", "difficulty",
                                                                         "questions"}
    submit = paths["/api/v1/test-sessions/{test_session_id}/submit"]["post"]
    assert {"409", "429", "200"} <= set(submit["responses"])
    assert "get" in paths["/api/v1/test-sessions/{test_session_id}"]
    assert "post" in paths["/api/v1/test-sessions/{test_session_id}/test"]


def test_a_submit_being_graded_holds_the_question_until_it_is_stale(make_key: Any, key_client: Any,
                                                                     teacher: Any) -> None:
    tool, path = _session(make_key, key_client, teacher)
    held = timezone.now() - datetime.timedelta(minutes=1)
    TestSessionQuestion.objects.update(submitted_at=held)
    before = state()
    refused(tool.post(f"{path}/submit", {"code": "print(1)"}, format="json"), 409, "submit_in_progress")
    assert state() == before
    # Left by a stopped server: after ten minutes the hold no longer counts.
    TestSessionQuestion.objects.update(submitted_at=timezone.now() - datetime.timedelta(minutes=11))
    assert tool.post(f"{path}/submit", {"code": "print(1)"}, format="json").json()["complete"] is True


def test_a_sandbox_failure_leaves_the_question_open(make_key: Any, key_client: Any, teacher: Any,
                                                    settings: Any) -> None:
    tool, path = _session(make_key, key_client, teacher)
    settings.SANDBOX_BACKEND = "missing"
    refused(tool.post(f"{path}/submit", {"code": "print(1)"}, format="json"), 503, "sandbox_unavailable")
    row = TestSessionQuestion.objects.get()
    assert (row.submitted_at, row.graded_at, row.status) == (None, None, "")
    settings.SANDBOX_BACKEND = "fake"
    assert tool.post(f"{path}/submit", {"code": "print(1)"}, format="json").json()["complete"] is True


def test_the_report_reads_a_fixed_number_of_queries(make_key: Any, key_client: Any, teacher: Any,
                                                    django_assert_max_num_queries: Any) -> None:
    for _ in range(5):
        question(teacher)
    tool = key_client(make_key("test-sessions").secret)
    path = f"/api/v1/test-sessions/{start(tool, questions=5).json()['session_id']}"
    for _ in range(3):
        assert tool.post(f"{path}/submit", {"code": "print(1)"}, format="json").status_code == 200
    # The key (authentication, its use count), the session, its questions, the open one
    # and its exercise's tests: the same whatever the number of questions.
    with django_assert_max_num_queries(7):
        assert tool.get(path).status_code == 200


def test_the_django_admin_lists_test_sessions(make_key: Any, key_client: Any, teacher: Any,
                                              admin_user: Any) -> None:
    from django.test import Client

    tool, path = _session(make_key, key_client, teacher)
    session = TestSession.objects.get()
    client = Client()
    client.force_login(admin_user)
    assert "Ada" in client.get("/admin/integrations/testsession/").content.decode()
    assert client.get(f"/admin/integrations/testsession/{session.pk}/change/").status_code == 200
