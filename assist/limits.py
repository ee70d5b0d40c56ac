"""Questions per student per hour and per session, counted as runs are
(coding.limits): a fixed-window counter in the Django cache (Redis with REDIS_URL, so
every process shares it), taken before the question goes out and given back when the
provider never answered. The session's budget is counted from the stored questions."""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from assist.models import Policy, Question, QuestionStatus

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    used: int
    limit: int
    resets_at: float
    session_used: int
    session_budget: int
    counter: str = ""

    @property
    def left(self) -> int:
        return max(0, min(self.limit - self.used, self.session_budget - self.session_used))

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.resets_at - time.time()))


def _counter(participant_id: object, index: int) -> str:
    return f"assist:rate:{participant_id}:{index}"


def _session_used(policy: Policy) -> int:
    # Failed questions cost the class nothing: the provider never answered.
    return Question.objects.filter(session_id=policy.session_id).exclude(status=QuestionStatus.FAILED).count()


def peek(*, policy: Policy, participant_id: object) -> Allowance:
    index = int(time.time() // WINDOW_SECONDS)
    used = int(cache.get(_counter(participant_id, index)) or 0)
    session_used = _session_used(policy)
    allowed = used < policy.per_student_per_hour and session_used < policy.session_budget
    return Allowance(allowed, min(used, policy.per_student_per_hour), policy.per_student_per_hour,
                     (index + 1) * WINDOW_SECONDS, session_used, policy.session_budget)  # fmt: skip


def take(*, policy: Policy, participant_id: object) -> Allowance:
    """Count one question; a refused one is not counted."""
    index = int(time.time() // WINDOW_SECONDS)
    name = _counter(participant_id, index)
    resets_at = (index + 1) * WINDOW_SECONDS
    session_used = _session_used(policy)
    limit = policy.per_student_per_hour
    if session_used >= policy.session_budget:
        used = int(cache.get(name) or 0)
        return Allowance(False, used, limit, resets_at, session_used, policy.session_budget)
    cache.add(name, 0, timeout=WINDOW_SECONDS + 5)
    used = int(cache.incr(name))
    if used > limit:
        cache.decr(name)
        return Allowance(False, limit, limit, resets_at, session_used, policy.session_budget)
    return Allowance(True, used, limit, resets_at, session_used, policy.session_budget, counter=name)


def taken_for(question: Question) -> Allowance:
    """The allowance a question took when it was asked (to refund it afterwards)."""
    index = int(question.created_at.timestamp() // WINDOW_SECONDS)
    return Allowance(True, 0, 0, (index + 1) * WINDOW_SECONDS, 0, 0, counter=_counter(question.participant_id, index))


def refund(*, allowance: Allowance) -> None:
    """Give back a question the provider never answered."""
    if not allowance.counter:
        return
    with contextlib.suppress(ValueError):  # the window is over: nothing to give back
        if int(cache.get(allowance.counter) or 0) > 0:
            cache.decr(allowance.counter)
