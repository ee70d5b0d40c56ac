"""AI help's reads: the provider a session uses, its policy, questions, what a student
may ask now, and the teacher's analytics."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, QuerySet

from assist import limits
from assist.models import Policy, Provider, Question
from assist.present import allowance_view
from observer.contract import AssistAllowance
from sessions.models import ClassSession, Participant


def policy_of(*, session: ClassSession) -> Policy:
    """The session's policy (unsaved defaults, help off, when the teacher never set one)."""
    return Policy.objects.filter(session=session).first() or Policy(session=session)


def deployment_provider() -> Provider | None:
    return Provider.objects.filter(is_deployment=True).select_related("set_by").first()


def own_provider(*, owner_id: Any) -> Provider | None:
    return Provider.objects.filter(owner_id=owner_id).select_related("set_by").first()


def provider_for_session(*, session: ClassSession) -> Provider | None:
    """The teacher's own provider (their key, their bill), else the deployment's."""
    return own_provider(owner_id=session.teacher_id) or deployment_provider()


def allowance_of(*, participant: Participant) -> AssistAllowance:
    policy = policy_of(session=participant.session)
    configured = provider_for_session(session=participant.session) is not None
    enabled = str(participant.pk) not in policy.disabled_participants
    from assist.exercises import effective_mode

    return allowance_view(mode=effective_mode(policy=policy), enabled=enabled, configured=configured,
                          allowance=limits.peek(policy=policy, participant_id=participant.pk))  # fmt: skip


def questions_of_session(*, session: ClassSession, participant_id: Any = None) -> QuerySet[Question]:
    questions = Question.objects.filter(session=session).select_related("participant")
    if participant_id is not None:
        questions = questions.filter(participant_id=participant_id)
    return questions.order_by("created_at", "pk")


def recent_questions(*, participant: Participant, count: int = 20) -> list[Question]:
    questions = Question.objects.filter(participant=participant).select_related("participant")
    return list(reversed(questions.order_by("-created_at", "-pk")[:count]))


def analytics(*, session: ClassSession) -> dict[str, Any]:
    """Questions per student (by kind and outcome) and the errors asked about most."""
    rows = (
        Question.objects.filter(session=session)
        .values("participant_id", "participant__display_name", "kind", "status")
        .annotate(n=Count("pk"))
    )
    students: dict[str, dict[str, Any]] = {}
    for row in rows:
        pid = str(row["participant_id"])
        entry = students.setdefault(pid, {"participant_id": pid, "name": row["participant__display_name"],
                                          "questions": 0, "by_kind": Counter(), "by_status": Counter()})  # fmt: skip
        entry["questions"] += row["n"]
        entry["by_kind"][row["kind"]] += row["n"]
        entry["by_status"][row["status"]] += row["n"]
    errors = (
        Question.objects.filter(session=session).exclude(error_summary="")
        .values("error_summary").annotate(n=Count("pk")).order_by("-n", "error_summary")[:10]
    )  # fmt: skip
    ordered = sorted(students.values(), key=lambda e: (-e["questions"], e["name"]))
    return {
        "questions": sum(e["questions"] for e in ordered),
        "students": [{**e, "by_kind": dict(e["by_kind"]), "by_status": dict(e["by_status"])} for e in ordered],
        "common_errors": [{"error": row["error_summary"], "count": row["n"]} for row in errors],
    }
