"""Reads of the bank. Who sees what is decided here, once: a teacher sees their own
exercises and the shared ones, an admin every one; anything else is a 404, so ids
reveal nothing. (Students and guests never get this far: the views let only teachers
and admins in.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from rest_framework.exceptions import NotFound

from exercises.models import Exercise, TestCase, Visibility


def _user_id(principal: Any) -> Any:
    if principal is None or getattr(principal, "is_guest", False):
        return None
    return getattr(principal, "pk", None)


def _is_admin(principal: Any) -> bool:
    return _user_id(principal) is not None and bool(getattr(principal, "is_admin", False))


@dataclass(frozen=True)
class ExerciseAccess:
    """One principal's relation to one exercise they can see."""

    exercise: Exercise
    is_owner: bool
    is_admin: bool


def exercises_for(*, principal: Any, mine: bool = False) -> QuerySet[Exercise]:
    """Exercises the principal may read, newest change first, with their test count."""
    user_id = _user_id(principal)
    exercises = (
        Exercise.objects.select_related("owner").annotate(tests_count=Count("tests")).order_by("-updated_at", "id")
    )
    if user_id is None:
        return exercises.none()
    if mine:
        return exercises.filter(owner_id=user_id)
    if _is_admin(principal):
        return exercises
    return exercises.filter(Q(owner_id=user_id) | Q(visibility=Visibility.SHARED))


def exercise_access(*, principal: Any, exercise_id: uuid.UUID) -> ExerciseAccess:
    exercise = exercises_for(principal=principal).filter(pk=exercise_id).first()
    if exercise is None:
        raise NotFound("No such exercise.")
    return ExerciseAccess(exercise, exercise.owner_id == _user_id(principal), _is_admin(principal))


def tests_of(*, exercise: Exercise) -> QuerySet[TestCase]:
    return exercise.tests.order_by("order", "id")


def test_of(*, exercise: Exercise, test_id: uuid.UUID) -> TestCase:
    test = exercise.tests.filter(pk=test_id).first()
    if test is None:
        raise NotFound("No such test.")
    return test


def submissions_of(*, participant: Any, link_id: uuid.UUID | None = None, limit: int = 200) -> list[Any]:
    """A student's newest submissions (of one session exercise when `link_id` is given)."""
    from exercises.models import Submission

    submissions = Submission.objects.filter(participant=participant).order_by("-created_at")
    if link_id is not None:
        submissions = submissions.filter(link_id=link_id)
    return list(submissions[:limit])


def submission_of(*, participant: Any, submission_id: uuid.UUID) -> Any:
    """One of the student's submissions, or None."""
    from exercises.models import Submission

    return Submission.objects.filter(pk=submission_id, participant=participant).first()
