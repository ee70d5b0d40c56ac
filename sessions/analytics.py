"""Reads for the teacher's dashboard: per-student and whole-session figures, computed
with a fixed number of queries whatever the size of the class."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from coding.error_lines import failure_line
from coding.models import Execution
from sessions.models import ClassSession, HelpRequest, Participant
from sessions.selectors import ERROR_STATUSES, NOT_A_RUN_STATUSES, OPEN_HELP_STATES, latest_run


def _last_error(participant: Participant) -> str | None:
    """``"<status>: <the error's own line>"`` of the latest failed run (SyntaxError: ...)."""
    status = participant.error_status  # type: ignore[attr-defined]
    if not status:
        return None
    line = failure_line(status=status, message=participant.error_message,  # type: ignore[attr-defined]
                        output_tail=participant.error_tail, language=participant.error_language or "")  # type: ignore[attr-defined]
    return f"{status}: {line}" if line else str(status)


# Apps that keep scores of a session add them here (in their AppConfig.ready), since
# sessions imports no app that builds on it: each takes the session and returns
# {"session": {...}, "students": {participant_id: {...}}}, or None when it has nothing.
ANALYTICS_EXTRAS: list[Callable[[ClassSession], dict[str, Any] | None]] = []


def session_analytics(*, session: ClassSession) -> dict[str, Any]:
    """Per-student and whole-session figures for the teacher's dashboard, in two queries
    (and the exercises' own, when the session has exercises)."""
    figures = _session_analytics(session)
    for contribute in ANALYTICS_EXTRAS:
        extra = contribute(session)
        if extra is not None:
            figures["session"]["exercises"] = extra["session"]
            for student in figures["students"]:
                student["exercises"] = extra["students"].get(student["participant_id"], {})
    return figures


def _session_analytics(session: ClassSession) -> dict[str, Any]:
    def help_count(states: Iterable[str] | None = None) -> Coalesce:
        requests = HelpRequest.objects.filter(participant=OuterRef("pk"))
        if states is not None:
            requests = requests.filter(state__in=list(states))
        counted = requests.order_by().values("participant").annotate(n=Count("id")).values("n")
        return Coalesce(Subquery(counted), 0)

    participants = list(
        Participant.objects.filter(session=session)
        .annotate(
            help_total=help_count(),
            help_open=help_count(OPEN_HELP_STATES),
            error_status=latest_run("status", statuses=ERROR_STATUSES),
            error_message=latest_run("message", statuses=ERROR_STATUSES),
            error_tail=latest_run("output_tail", statuses=ERROR_STATUSES),
            error_language=latest_run("language", statuses=ERROR_STATUSES),
            error_at=latest_run("created_at", statuses=ERROR_STATUSES),
        )
        .order_by("joined_at")
    )
    by_participant: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for row in (
        Execution.objects.filter(participant__session=session)
        .exclude(status__in=NOT_A_RUN_STATUSES)
        .order_by()
        .values("participant_id", "status")
        .annotate(n=Count("id"))
    ):
        by_participant[row["participant_id"]][row["status"]] = row["n"]

    students = []
    for p in participants:
        runs_by_status = by_participant.get(p.id, {})
        students.append(
            {
                "participant_id": p.id,
                "display_name": p.display_name,
                "is_guest": p.is_guest,
                "removed": p.removed_at is not None,
                "online": p.online,
                "active_seconds": p.active_seconds,
                "chars_typed": p.chars_typed,
                "runs": sum(runs_by_status.values()),
                "runs_by_status": runs_by_status,
                "failed_runs": sum(n for status, n in runs_by_status.items() if status in ERROR_STATUSES),
                "last_error": _last_error(p),
                "last_error_status": p.error_status,  # type: ignore[attr-defined]
                "last_error_at": p.error_at,  # type: ignore[attr-defined]
                "help_requests": p.help_total,  # type: ignore[attr-defined]
                "open_help_requests": p.help_open,  # type: ignore[attr-defined]
            }
        )
    totals_by_status: dict[str, int] = defaultdict(int)
    for runs_by_status in by_participant.values():
        for status, n in runs_by_status.items():
            totals_by_status[status] += n
    end = session.ended_at or timezone.now()
    return {
        "session": {
            "id": session.id,
            "state": session.state,
            "duration_seconds": int((end - session.started_at).total_seconds()) if session.started_at else 0,
            "participants": sum(1 for s in students if not s["removed"]),
            "online": sum(1 for s in students if s["online"] and not s["removed"]),
            "active_seconds": sum(s["active_seconds"] for s in students),
            "chars_typed": sum(s["chars_typed"] for s in students),
            "runs": sum(totals_by_status.values()),
            "runs_by_status": dict(totals_by_status),
            "failed_runs": sum(s["failed_runs"] for s in students),
            "help_requests": sum(s["help_requests"] for s in students),
            "open_help_requests": sum(s["open_help_requests"] for s in students),
        },
        "students": students,
    }
