"""Running an exercise's reference solution against its own tests ("all tests pass
with the solution"), and keeping the outcome on the exercise.

The outcome is stored only if neither the tests nor the solution changed while it ran
(a fingerprint of both is compared before and after), so a stale "passes" is never
shown beside tests it did not run against.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from asgiref.sync import async_to_sync
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from coding import runner
from coding.sandbox.base import SandboxError  # the error type only: runs go through coding.runner
from exercises import grading, services
from exercises.errors import RunNotStartedError, SandboxUnavailableError
from exercises.models import Exercise
from exercises.runs import RunRefused
from observer.errors import Conflict, RateLimited


@dataclasses.dataclass(frozen=True)
class SolutionCheck:
    language: str
    grade: grading.Grade
    stored: dict[str, Any]


def fingerprint(*, exercise: Exercise, language: str) -> str:
    tests = [dataclasses.asdict(case) for case in grading.cases_of(exercise)]
    solution = exercise.solution_files.get(language, [])
    return hashlib.sha256(json.dumps([tests, solution], sort_keys=True).encode()).hexdigest()


def solution_check(*, exercise: Exercise, language: str, run: grading.RunBatch | None = None) -> SolutionCheck:
    """Grade the solution in `language` against every test (through `run`, the run
    service's queue when the caller gives it) and keep the outcome on the exercise."""
    files = exercise.solution_files.get(language)
    if language not in exercise.languages:
        raise ValidationError({"language": [f"This exercise does not offer {language}."]})
    if not files:
        raise ValidationError({"language": [f"This exercise has no reference solution in {language}."]})
    before = fingerprint(exercise=exercise, language=language)
    try:
        grade = async_to_sync(grading.grade_submission)(
            language=language,
            files=[(f["name"], f["content"]) for f in files],
            cases=grading.cases_of(exercise),
            run=run or runner.run_batch,
        )
    except grading.GradingError as error:
        raise ValidationError({"language": [str(error)]}) from error
    except SandboxError as error:
        raise SandboxUnavailableError(str(error)) from error
    except RunRefused as refused:
        if refused.code == "rate_limited":
            raise RateLimited(float(refused.extra.get("retry_after") or 1), refused.message) from refused
        raise RunNotStartedError(refused.code, refused.message) from refused
    fresh = Exercise.objects.get(pk=exercise.pk)
    if fingerprint(exercise=fresh, language=language) != before:
        raise Conflict("The tests or the solution changed while the solution ran; check again.")
    summary = {
        "passed": grade.all_passed and grade.status == "graded",
        "status": grade.status,
        "score": grade.score,
        "max_score": grade.max_score,
        "failing": [{"id": t.id, "name": t.name, "status": t.status} for t in grade.tests if not t.passed],
        "checked_at": timezone.now().isoformat(),
    }
    services.solution_check_store(exercise=fresh, language=language, summary=summary)
    return SolutionCheck(language, grade, summary)
