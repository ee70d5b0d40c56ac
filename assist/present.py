"""Questions and allowances as the API and the sockets show them (observer.contract)."""

from __future__ import annotations

from datetime import UTC, datetime

from assist.limits import Allowance
from assist.models import Mode, Question
from observer.contract import AssistAllowance, AssistQuestion


def question_view(question: Question, *, for_teacher: bool, answer: str | None = None) -> AssistQuestion:
    """`answer` overrides the stored one (an answer still streaming, held in memory)."""
    view = AssistQuestion(
        id=str(question.pk),
        participant_id=str(question.participant_id),
        participant_name=question.participant.display_name,
        kind=question.kind,  # type: ignore[typeddict-item]
        text=question.text,
        status=question.status,  # type: ignore[typeddict-item]
        answer=question.answer if answer is None else answer,
        error=question.error,
        error_summary=question.error_summary,
        mode=question.mode,  # type: ignore[typeddict-item]
        model=question.model,
        prompt_tokens=question.prompt_tokens,
        completion_tokens=question.completion_tokens,
        duration_ms=question.duration_ms,
        created_at=question.created_at.isoformat(),
        finished_at=question.finished_at.isoformat() if question.finished_at else None,
    )
    if for_teacher:
        view["context"] = question.context
        view["withheld_answer"] = question.withheld_answer
    return view


def allowance_view(*, mode: str, enabled: bool, configured: bool, allowance: Allowance) -> AssistAllowance:
    on = enabled and configured and mode != Mode.OFF
    return AssistAllowance(
        mode=mode,  # type: ignore[typeddict-item]
        enabled=on,
        configured=configured,
        left=allowance.left if on else 0,
        limit=allowance.limit,
        used=allowance.used,
        resets_at=datetime.fromtimestamp(allowance.resets_at, tz=UTC).isoformat(),
        session_left=max(0, allowance.session_budget - allowance.session_used),
    )
