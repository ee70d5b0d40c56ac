"""AI help on a session's exercises: a per-exercise override of the mode while the
exercise is open (off during a graded one), and what a hint may know of an exercise: its
statement, its sample tests and which of them the student's last check failed — never a
hidden test."""

from __future__ import annotations

import uuid
from typing import Any

from assist.errors import AssistRefused
from assist.models import Mode, Policy
from exercises.models import SessionExercise, Submission, TestVisibility
from observer.contract import AssistExercise
from sessions.models import Participant

STRICTNESS = [Mode.OFF, Mode.HINTS, Mode.EXPLAIN, Mode.FULL]
CUT = 600


def effective_mode(*, policy: Policy) -> str:
    """The session's mode, made stricter by the override of any exercise open now (a
    student cannot step around it by not naming the exercise)."""
    overrides: dict[str, str] = policy.exercise_modes or {}
    if not overrides:
        return policy.mode
    open_ids = SessionExercise.objects.filter(session_id=policy.session_id, is_open=True, pk__in=list(overrides))
    modes = [policy.mode, *(overrides[str(pk)] for pk in open_ids.values_list("pk", flat=True))]
    return min(modes, key=lambda mode: STRICTNESS.index(Mode(mode)))


def the_open_exercise(*, session_id: Any) -> str | None:
    """The exercise the class works on, when the session has exactly one open (a question
    that names none is about it)."""
    open_ids = list(
        SessionExercise.objects.filter(session_id=session_id, is_open=True).values_list("pk", flat=True)[:2]
    )
    return str(open_ids[0]) if len(open_ids) == 1 else None


def check_overrides(*, session_id: Any, overrides: dict[str, str]) -> None:
    if any(mode not in Mode.values for mode in overrides.values()):
        raise AssistRefused("invalid", f"Each exercise's mode is one of {', '.join(Mode.values)}.")
    known = {str(pk) for pk in SessionExercise.objects.filter(session_id=session_id).values_list("pk", flat=True)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise AssistRefused("invalid", f"Not an exercise of this session: {unknown[0]}.")


def _cut(text: str) -> str:
    return text if len(text) <= CUT else text[:CUT] + "…"


def exercise_context(*, participant: Participant, link_id: str) -> tuple[AssistExercise, str]:
    """The exercise as the context records it, and as the provider reads it."""
    try:
        link_pk = uuid.UUID(link_id)
    except ValueError:
        raise AssistRefused("invalid", "exercise is a session exercise's id.") from None
    link = (
        SessionExercise.objects.select_related("exercise")
        .filter(pk=link_pk, session_id=participant.session_id, is_open=True)
        .first()
    )
    if link is None:
        raise AssistRefused("invalid", "No open exercise of this session has that id.")
    exercise = link.exercise
    samples = list(exercise.tests.filter(visibility=TestVisibility.SAMPLE).order_by("order"))
    last = Submission.objects.filter(link=link, participant=participant).order_by("-created_at").first()
    outcomes = (last.results or {}).get("tests", []) if last is not None else []
    failing = [t for t in outcomes if t.get("visibility") == TestVisibility.SAMPLE and not t.get("passed")]
    parts = [f"## The exercise: {exercise.title}\n{exercise.statement[:4000]}"]
    for test in samples:
        if test.kind == "io":
            parts.append(f"Sample test {test.name or test.order}: input\n```\n{_cut(test.stdin)}\n```\n"
                         f"expected output\n```\n{_cut(test.expected_stdout)}\n```")  # fmt: skip
    for outcome in failing:
        parts.append(f"My last check failed the sample test {outcome.get('name') or outcome.get('id')} "
                     f"({outcome.get('status')}): my output\n```\n{_cut(str(outcome.get('stdout', '')))}\n```"
                     + (f"\n{_cut(str(outcome['message']))}" if outcome.get("message") else ""))  # fmt: skip
    record = AssistExercise(id=str(link.pk), title=exercise.title,
                            failing_samples=[str(t.get("name") or t.get("id")) for t in failing])  # fmt: skip
    return record, "\n\n".join(parts)
