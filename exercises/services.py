"""Writes to the bank. Each checks what spans the whole exercise (how many tests, how
much I/O data a grading run would carry) before saving anything, in one transaction,
and forgets the last solution check whenever what it checked changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from rest_framework.exceptions import ValidationError

from exercises import limits
from exercises.models import Exercise, TestCase

_EXERCISE_FIELDS = ("title", "statement", "languages", "difficulty", "tags", "visibility",
                    "starter_files", "solution_files")  # fmt: skip
_TEST_FIELDS = ("name", "kind", "visibility", "order", "weight", "time_limit_ms", "stdin", "expected_stdout",
                "comparison", "tolerance", "unit_files")  # fmt: skip


def _io_bytes(test: Mapping[str, Any] | TestCase) -> int:
    get = test.get if isinstance(test, Mapping) else lambda key, default="": getattr(test, key)
    return len(str(get("stdin", "")).encode()) + len(str(get("expected_stdout", "")).encode())


def _check_totals(tests: Iterable[Mapping[str, Any] | TestCase]) -> None:
    tests = list(tests)
    if len(tests) > limits.MAX_TESTS:
        raise ValidationError({"tests": [f"Too many tests: {len(tests)}, at most {limits.MAX_TESTS} per exercise."]})
    total = sum(_io_bytes(test) for test in tests)
    if total > limits.MAX_IO_BYTES:
        raise ValidationError(
            {
                "tests": [
                    f"The I/O cases hold {total} bytes of input and expected output, at most {limits.MAX_IO_BYTES}."
                ]
            }
        )


def _check_unit_languages(*, languages: Iterable[str], tests: Iterable[Mapping[str, Any] | TestCase]) -> None:
    offered = set(languages)
    for test in tests:
        files = test["unit_files"] if isinstance(test, Mapping) else test.unit_files
        extra = set(files or {}) - offered
        if extra:
            raise ValidationError(
                {"unit_files": [f"Test files for a language the exercise does not offer: {', '.join(sorted(extra))}."]}
            )


def _new_test(*, exercise: Exercise, data: Mapping[str, Any], order: int) -> TestCase:
    fields = {key: data[key] for key in _TEST_FIELDS if key in data and key != "order"}
    return TestCase(exercise=exercise, order=data.get("order", order), **fields)


@transaction.atomic
def exercise_create(*, owner: Any, data: Mapping[str, Any], tests: list[Mapping[str, Any]] = ()) -> Exercise:  # type: ignore[assignment]
    _check_totals(tests)
    _check_unit_languages(languages=data["languages"], tests=tests)
    exercise = Exercise.objects.create(owner=owner, **{key: data[key] for key in _EXERCISE_FIELDS if key in data})
    TestCase.objects.bulk_create(
        [_new_test(exercise=exercise, data=test, order=index) for index, test in enumerate(tests)]
    )
    return exercise


@transaction.atomic
def exercise_update(*, exercise: Exercise, data: Mapping[str, Any]) -> Exercise:
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    changes = {key: data[key] for key in _EXERCISE_FIELDS if key in data}
    if "languages" in changes:
        _check_unit_languages(languages=changes["languages"], tests=exercise.tests.all())
    if {"languages", "solution_files"} & set(changes):
        changes["solution_check"] = {}
    for key, value in changes.items():
        setattr(exercise, key, value)
    exercise.save()
    return exercise


def exercise_delete(*, exercise: Exercise) -> None:
    exercise.delete()


def _forget_solution_check(exercise_id: Any) -> None:
    Exercise.objects.filter(pk=exercise_id).update(solution_check={})


@transaction.atomic
def test_create(*, exercise: Exercise, data: Mapping[str, Any]) -> TestCase:
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    existing = list(exercise.tests.all())
    _check_totals([*existing, data])
    _check_unit_languages(languages=exercise.languages, tests=[data])
    next_order = (exercise.tests.aggregate(last=Max("order"))["last"] or 0) + 1 if existing else 0
    test = _new_test(exercise=exercise, data=data, order=next_order)
    test.save()
    _forget_solution_check(exercise.pk)
    return test


@transaction.atomic
def test_update(*, test: TestCase, data: Mapping[str, Any]) -> TestCase:
    exercise = Exercise.objects.select_for_update().get(pk=test.exercise_id)
    others = list(exercise.tests.exclude(pk=test.pk))
    _check_totals([*others, data])
    _check_unit_languages(languages=exercise.languages, tests=[data])
    for key in _TEST_FIELDS:
        if key in data:
            setattr(test, key, data[key])
    test.save()
    _forget_solution_check(exercise.pk)
    return test


@transaction.atomic
def test_delete(*, test: TestCase) -> None:
    exercise_id = test.exercise_id
    test.delete()
    _forget_solution_check(exercise_id)


def test_as_input(test: TestCase) -> dict[str, Any]:
    """A stored test in the input shape, so that a change can be merged and checked whole."""
    return {key: getattr(test, key) for key in _TEST_FIELDS}


def solution_check_store(*, exercise: Exercise, language: str, summary: Mapping[str, Any]) -> Exercise:
    """Keep the outcome of running the reference solution in one language."""
    with transaction.atomic():
        exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
        exercise.solution_check = {**exercise.solution_check, language: dict(summary)}
        exercise.save(update_fields=["solution_check", "updated_at"])
    return exercise
