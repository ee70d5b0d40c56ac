"""Running the reference solution against the tests, through the API, in the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from exercises import checks
from exercises.models import Exercise, TestCase
from tests.exercises.conftest import bank_snapshot, refused
from tests.exercises.factories import ExerciseFactory, IoCaseFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

C_SUM = '#include <stdio.h>\nint main(void) { int a, b; scanf("%d %d", &a, &b); printf("%d\\n", a + b); return 0; }\n'


def test_a_solution_that_passes_every_test_marks_the_exercise(client_for: Any) -> None:
    exercise = ExerciseFactory(languages=["python", "c"], solution_files={
        **ExerciseFactory.solution_files.function(), "c": [{"name": "main.c", "content": C_SUM}]})  # fmt: skip
    IoCaseFactory(exercise=exercise, visibility="sample")
    IoCaseFactory(exercise=exercise, visibility="hidden", stdin="40 2\n", expected_stdout="42\n")
    client = client_for(exercise.owner)
    response = client.post(f"/api/exercises/{exercise.pk}/check-solution", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["results"]) == {"python", "c"}
    assert all(r["passed"] and r["score"] == r["max_score"] == 2 for r in body["results"].values())
    assert body["results"]["c"]["grade"]["tests"][1]["stdout"] == "42\n"
    assert body["exercise"]["solution_passes"] is True
    assert client.get("/api/exercises/").json()["results"][0]["solution_passes"] is True


def test_a_failing_solution_says_which_tests_fail_and_a_test_change_forgets_it(client_for: Any) -> None:
    exercise = ExerciseFactory()
    IoCaseFactory(exercise=exercise)
    wrong = IoCaseFactory(exercise=exercise, name="off by one", stdin="1 1\n", expected_stdout="3\n")
    client = client_for(exercise.owner)
    body = client.post(f"/api/exercises/{exercise.pk}/check-solution", {"language": "python"}, format="json").json()
    result = body["results"]["python"]
    assert result["passed"] is False and (result["score"], result["max_score"]) == (1, 2)
    assert result["failing"] == [{"id": str(wrong.pk), "name": "off by one", "status": "failed"}]
    assert body["exercise"]["solution_passes"] is False
    assert Exercise.objects.get(pk=exercise.pk).solution_check["python"]["passed"] is False

    client.patch(f"/api/exercises/{exercise.pk}/tests/{wrong.pk}/", {"expected_stdout": "2\n"}, format="json")
    assert Exercise.objects.get(pk=exercise.pk).solution_check == {}
    again = client.post(f"/api/exercises/{exercise.pk}/check-solution", {}, format="json").json()
    assert again["results"]["python"]["passed"] is True


def test_it_keeps_no_outcome_when_the_tests_changed_while_it_ran(client_for: Any, monkeypatch: Any) -> None:
    exercise = ExerciseFactory()
    IoCaseFactory(exercise=exercise)
    real = checks.grading.grade_submission

    async def grade_while_a_test_changes(**kwargs: Any) -> Any:
        grade = await real(**kwargs)
        from asgiref.sync import sync_to_async

        await sync_to_async(TestCase.objects.filter(exercise=exercise).update)(expected_stdout="6\n")
        return grade

    monkeypatch.setattr(checks.grading, "grade_submission", grade_while_a_test_changes)
    response = client_for(exercise.owner).post(f"/api/exercises/{exercise.pk}/check-solution", {}, format="json")
    refused(response, 409, "conflict")
    assert Exercise.objects.get(pk=exercise.pk).solution_check == {}


@pytest.mark.parametrize(
    ("body", "setup", "field"),
    [
        ({"language": "c"}, {}, "language"),  # not offered
        ({}, {"solution_files": {}}, "language"),  # no solution at all
        ({"language": "cobol"}, {}, "language"),
        ({"language": "python"}, {"solution_files": {"python": [{"name": "observer_main.py", "content": ""}]}},
         "language"),  # a name only the harness may use (the bank refuses it; an old row may hold it)
    ],
)  # fmt: skip
def test_it_refuses_what_it_cannot_check(client_for: Any, body: dict[str, Any], setup: dict[str, Any],
                                         field: str) -> None:  # fmt: skip
    exercise = ExerciseFactory(**setup)
    IoCaseFactory(exercise=exercise)
    before = bank_snapshot()
    error = refused(client_for(exercise.owner).post(f"/api/exercises/{exercise.pk}/check-solution", body,
                                                    format="json"), 400, "invalid")  # fmt: skip
    assert field in error["details"]
    assert bank_snapshot() == before


def test_an_exercise_without_tests_cannot_be_checked(client_for: Any) -> None:
    exercise = ExerciseFactory()
    error = refused(client_for(exercise.owner).post(f"/api/exercises/{exercise.pk}/check-solution", {},
                                                    format="json"), 400, "invalid")  # fmt: skip
    assert "no tests" in error["message"]


def test_the_check_is_a_run_of_the_run_service_in_the_teacher_s_name(client_for: Any) -> None:
    from coding.models import Execution

    exercise = ExerciseFactory()
    IoCaseFactory(exercise=exercise)
    IoCaseFactory(exercise=exercise, stdin="4 4\n", expected_stdout="8\n")
    response = client_for(exercise.owner).post(f"/api/exercises/{exercise.pk}/check-solution", {}, format="json")
    assert response.status_code == 200
    # One recorded batch run for every test, the harness its entry.
    [run] = Execution.objects.all()
    assert (run.user_id, run.language, run.entry, run.status) == (
        exercise.owner.pk,
        "python",
        "observer_harness.py",
        "ok",
    )


def test_a_teacher_past_their_run_limit_is_told_when_to_retry_and_nothing_is_kept(client_for: Any,
                                                                                  settings: Any) -> None:  # fmt: skip
    settings.RUN_LIMITS = {**settings.RUN_LIMITS, "runs_per_window": 1}
    exercise = ExerciseFactory(languages=["python", "c"], solution_files={
        **ExerciseFactory.solution_files.function(), "c": [{"name": "main.c", "content": C_SUM}]})  # fmt: skip
    IoCaseFactory(exercise=exercise)
    client = client_for(exercise.owner)
    assert (
        client.post(f"/api/exercises/{exercise.pk}/check-solution", {"language": "c"}, format="json").status_code == 200
    )
    before = bank_snapshot()
    response = client.post(f"/api/exercises/{exercise.pk}/check-solution", {"language": "python"}, format="json")
    error = refused(response, 429, "rate_limited")
    assert error["details"]["retry_after"] >= 1 and response["Retry-After"]
    assert bank_snapshot() == before
