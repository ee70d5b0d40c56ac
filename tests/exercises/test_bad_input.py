"""Bad input to the bank gets a clear 400 in the standard shape and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from exercises import limits
from tests.exercises.conftest import bank_snapshot, refused
from tests.exercises.factories import ExerciseFactory, IoCaseFactory

pytestmark = pytest.mark.django_db

IO = {"kind": "io", "stdin": "1 2\n", "expected_stdout": "3\n"}

BAD_TESTS: dict[str, tuple[dict[str, Any], str]] = {
    "no expected output": ({"kind": "io", "stdin": "1\n"}, "expected_stdout"),
    "blank expected output": ({**IO, "expected_stdout": "  \n"}, "expected_stdout"),
    "regex that does not compile": ({**IO, "comparison": "regex", "expected_stdout": "(\\d+"}, "expected_stdout"),
    "numeric without tolerance": ({**IO, "comparison": "numeric"}, "tolerance"),
    "numeric with words": (
        {**IO, "comparison": "numeric", "tolerance": 0.1, "expected_stdout": "three"},
        "expected_stdout",
    ),
    "tolerance on exact": ({**IO, "comparison": "exact", "tolerance": 0.5}, "tolerance"),
    "negative tolerance": ({**IO, "comparison": "numeric", "tolerance": -1}, "tolerance"),
    "unknown comparison": ({**IO, "comparison": "fuzzy"}, "comparison"),
    "unknown kind": ({**IO, "kind": "magic"}, "kind"),
    "expected over the cap": ({**IO, "expected_stdout": "x" * (limits.MAX_CASE_BYTES + 1)}, "expected_stdout"),
    "stdin over the cap": ({**IO, "stdin": "é" * (limits.MAX_CASE_BYTES // 2 + 1)}, "stdin"),
    "time limit too long": ({**IO, "time_limit_ms": limits.MAX_TIME_LIMIT_MS + 1}, "time_limit_ms"),
    "time limit too short": ({**IO, "time_limit_ms": 1}, "time_limit_ms"),
    "zero weight": ({**IO, "weight": 0}, "weight"),
    "number as expected output": ({**IO, "expected_stdout": 3}, "expected_stdout"),
    "NUL in stdin": ({**IO, "stdin": "a\x00b"}, "stdin"),
    "unit test without files": ({"kind": "unit"}, "unit_files"),
    "unit test for an unknown language": (
        {"kind": "unit", "unit_files": {"cobol": {"name": "t.cob", "content": "x"}}},
        "unit_files",
    ),
    "unit test with a bad file name": (
        {"kind": "unit", "unit_files": {"python": {"name": "../t.py", "content": "x"}}},
        "unit_files",
    ),
    "unit test with the harness's name": (
        {"kind": "unit", "unit_files": {"python": {"name": "observer_harness.py", "content": "x"}}},
        "unit_files",
    ),
    "unit test for a language the exercise lacks": (
        {"kind": "unit", "unit_files": {"c": {"name": "test_main.c", "content": "x"}}},
        "unit_files",
    ),
    "Python test file that does not compile": (
        {"kind": "unit", "unit_files": {"python": {"name": "test_main.py", "content": "def test_x(:\n    pass\n"}}},
        "unit_files",
    ),
    "io case with unit files": (
        {**IO, "unit_files": {"python": {"name": "test_main.py", "content": "x"}}},
        "unit_files",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TESTS))
def test_it_refuses_a_bad_test_and_changes_nothing(client_for: Any, case: str) -> None:
    exercise = ExerciseFactory()
    body, field = BAD_TESTS[case]
    before = bank_snapshot()
    error = refused(
        client_for(exercise.owner).post(f"/api/exercises/{exercise.pk}/tests/", body, format="json"), 400, "invalid"
    )
    assert field in error["details"], error
    assert bank_snapshot() == before


@pytest.mark.parametrize("case", ["no expected output", "regex that does not compile", "expected over the cap"])
def test_it_refuses_a_bad_change_to_a_test(client_for: Any, case: str) -> None:
    test = IoCaseFactory()
    body, field = BAD_TESTS[case]
    body = {key: value for key, value in body.items() if key != "kind"}
    if case == "no expected output":
        body = {"expected_stdout": ""}
    before = bank_snapshot()
    url = f"/api/exercises/{test.exercise.pk}/tests/{test.pk}/"
    error = refused(client_for(test.exercise.owner).patch(url, body, format="json"), 400, "invalid")
    assert field in error["details"]
    assert bank_snapshot() == before


def test_it_refuses_a_ten_megabyte_expected_output_before_reading_it(client_for: Any) -> None:
    exercise = ExerciseFactory()
    before = bank_snapshot()
    body = {**IO, "expected_stdout": "x" * (10 * 1024 * 1024)}
    refused(
        client_for(exercise.owner).post(f"/api/exercises/{exercise.pk}/tests/", body, format="json"),
        413,
        "request_too_large",
    )
    assert bank_snapshot() == before


def test_it_refuses_one_test_too_many(client_for: Any) -> None:
    exercise = ExerciseFactory()
    IoCaseFactory.create_batch(limits.MAX_TESTS, exercise=exercise)
    before = bank_snapshot()
    error = refused(
        client_for(exercise.owner).post(f"/api/exercises/{exercise.pk}/tests/", IO, format="json"), 400, "invalid"
    )
    assert "Too many tests" in error["message"]
    assert bank_snapshot() == before


def test_it_refuses_more_io_data_than_one_run_may_carry(client_for: Any) -> None:
    exercise = ExerciseFactory()
    big = "x" * (limits.MAX_CASE_BYTES - 10)
    IoCaseFactory.create_batch(limits.MAX_IO_BYTES // limits.MAX_CASE_BYTES - 1, exercise=exercise, stdin=big)
    before = bank_snapshot()
    body = {**IO, "stdin": big, "expected_stdout": big}
    error = refused(
        client_for(exercise.owner).post(f"/api/exercises/{exercise.pk}/tests/", body, format="json"), 400, "invalid"
    )
    assert "bytes of input and expected output" in error["message"]
    assert bank_snapshot() == before


BAD_EXERCISES: dict[str, tuple[dict[str, Any], str]] = {
    "no title": ({"languages": ["python"]}, "title"),
    "no language": ({"title": "T", "languages": []}, "languages"),
    "unknown language": ({"title": "T", "languages": ["cobol"]}, "languages"),
    "a language twice": ({"title": "T", "languages": ["python", "python"]}, "languages"),
    "unknown difficulty": ({"title": "T", "languages": ["python"], "difficulty": "brutal"}, "difficulty"),
    "unknown visibility": ({"title": "T", "languages": ["python"], "visibility": "public"}, "visibility"),
    "too many tags": (
        {"title": "T", "languages": ["python"], "tags": [f"t{i}" for i in range(limits.MAX_TAGS + 1)]},
        "tags",
    ),
    "starter for another language": (
        {"title": "T", "languages": ["python"], "starter_files": {"c": [{"name": "main.c", "content": ""}]}},
        "starter_files",
    ),
    "two files of one name": (
        {
            "title": "T",
            "languages": ["python"],
            "solution_files": {"python": [{"name": "main.py"}, {"name": "main.py"}]},
        },
        "solution_files",
    ),  # fmt: skip
    "file name with a slash at the start": (
        {"title": "T", "languages": ["python"], "starter_files": {"python": [{"name": "/etc/x.py"}]}},
        "starter_files",
    ),
    "a bad test among good ones": (
        {"title": "T", "languages": ["python"], "tests": [IO, {"kind": "io", "stdin": "1"}]},
        "tests",
    ),
    "too many tests at once": (
        {"title": "T", "languages": ["python"], "tests": [IO] * (limits.MAX_TESTS + 1)},
        "tests",
    ),
    "statement over the cap": (
        {"title": "T", "languages": ["python"], "statement": "x" * (limits.MAX_STATEMENT + 1)},
        "statement",
    ),
}


@pytest.mark.parametrize("case", list(BAD_EXERCISES))
def test_it_refuses_a_bad_exercise_and_changes_nothing(teacher: Any, client_for: Any, case: str) -> None:
    body, field = BAD_EXERCISES[case]
    before = bank_snapshot()
    error = refused(client_for(teacher).post("/api/exercises/", body, format="json"), 400, "invalid")
    assert field in error["details"], error
    assert bank_snapshot() == before


def test_it_refuses_dropping_a_language_that_a_unit_test_uses(client_for: Any) -> None:
    exercise = ExerciseFactory(languages=["python", "c"], solution_files={}, starter_files={})
    IoCaseFactory(exercise=exercise, kind="unit", stdin="", expected_stdout="",
                  unit_files={"c": {"name": "test_main.c", "content": "TEST(x) {}"}})  # fmt: skip
    before = bank_snapshot()
    refused(
        client_for(exercise.owner).patch(f"/api/exercises/{exercise.pk}/", {"languages": ["python"]}, format="json"),
        400,
        "invalid",
    )
    assert bank_snapshot() == before


@pytest.mark.parametrize("body", [[1, 2], "text"])
def test_it_refuses_a_change_that_is_not_an_object(client_for: Any, body: Any) -> None:
    test = IoCaseFactory()
    before = bank_snapshot()
    client = client_for(test.exercise.owner)
    refused(client.patch(f"/api/exercises/{test.exercise.pk}/", body, format="json"), 400, "invalid")
    refused(client.patch(f"/api/exercises/{test.exercise.pk}/tests/{test.pk}/", body, format="json"), 400, "invalid")
    assert bank_snapshot() == before
