"""AI help's log as the session's export carries it (ai-help.json in the session's zip, and
GET .../assist/export): the policy and every question with its context and answer. Never a
provider's key: only the model each answer came from."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone

from assist import selectors
from assist.models import Question
from assist.present import question_view
from sessions.models import ClassSession


def export_document(*, session: ClassSession) -> dict[str, Any]:
    policy = selectors.policy_of(session=session)
    return {
        "session": str(session.pk),
        "exported_at": timezone.now().isoformat(),
        "policy": {"mode": policy.mode, "per_student_per_hour": policy.per_student_per_hour,
                   "session_budget": policy.session_budget},
        "questions": [question_view(q, for_teacher=True) for q in selectors.questions_of_session(session=session)],
    }  # fmt: skip


def zip_entries(session: ClassSession) -> Iterator[tuple[str, Iterable[bytes], datetime]]:
    """The session zip's ai-help.json, when anyone asked the AI."""
    if Question.objects.filter(session=session).exists():
        body = json.dumps(export_document(session=session), indent=2, ensure_ascii=False).encode()
        yield "ai-help.json", [body], timezone.now()
