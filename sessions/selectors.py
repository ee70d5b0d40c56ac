"""Reads for classroom sessions: who may see what, participants' status, files, the
help queue and analytics, each with a bounded number of queries.

Visibility is decided here: an object whose session the principal has no part in
(not its teacher, not an admin, not a participant) is a 404, so ids reveal nothing.
What a principal may *do* with an object it can see is the permissions' business.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from rest_framework.exceptions import NotFound

from coding.models import Execution
from sessions.models import (
    ClassSession,
    Document,
    HelpRequest,
    HelpState,
    Participant,
    SessionState,
)

OPEN_HELP_STATES = (HelpState.OPEN, HelpState.CLAIMED)
# Run outcomes that count as the student's error (not "killed": they pressed stop;
# not "sandbox-error": that one is the server's fault).
ERROR_STATUSES = ("runtime-error", "compile-error", "timeout", "memory-limit", "output-limit")
# Refused before running (rate limits): not a run.
NOT_A_RUN_STATUSES = ("rejected",)


# --- principals and access ------------------------------------------------------------


def user_id_of(principal: Any) -> uuid.UUID | None:
    """The signed-in user's id; None for guests and anonymous requests."""
    if principal is None or getattr(principal, "is_guest", False):
        return None
    return getattr(principal, "pk", None)


def is_admin(principal: Any) -> bool:
    return user_id_of(principal) is not None and bool(getattr(principal, "is_admin", False))


@dataclass(frozen=True)
class Access:
    """One principal's relation to one session (and optionally one participant in it)."""

    principal: Any
    session: ClassSession
    own_participant_id: uuid.UUID | None
    participant: Participant | None = None

    @property
    def is_owner(self) -> bool:
        return self.session.teacher_id == user_id_of(self.principal)

    @property
    def is_admin(self) -> bool:
        return is_admin(self.principal)

    @property
    def is_member(self) -> bool:
        return self.own_participant_id is not None

    @property
    def is_self(self) -> bool:
        return self.participant is not None and self.participant.id == self.own_participant_id

    @property
    def is_peer(self) -> bool:
        """Another participant of the session, in a session where students see each other."""
        return self.is_member and not self.is_self and self.session.students_see_each_other

    @property
    def is_visible(self) -> bool:
        return self.is_owner or self.is_admin or self.is_member

    @property
    def target(self) -> Participant:
        """The participant in the URL (for participant-scoped access)."""
        assert self.participant is not None, "not a participant-scoped access"
        return self.participant


def _own_participant_id(principal: Any, session: ClassSession, target: Participant | None) -> uuid.UUID | None:
    if principal is None:
        return None
    if getattr(principal, "is_guest", False):
        return principal.participant_id if principal.session_id == session.id else None
    user_id = user_id_of(principal)
    if user_id is None:
        return None
    if target is not None and target.user_id == user_id and target.removed_at is None:
        return target.id
    if session.teacher_id == user_id or is_admin(principal):
        return None  # they see everything anyway: no need to look for their participation
    return (
        Participant.objects.filter(session=session, user_id=user_id, removed_at__isnull=True)
        .values_list("id", flat=True)
        .first()
    )


def _visible(access: Access, what: str) -> Access:
    if not access.is_visible:
        raise NotFound(f"No such {what}.")
    return access


def session_queryset() -> QuerySet[ClassSession]:
    """Sessions with what their API object shows: the teacher and the participant count."""
    return ClassSession.objects.select_related("teacher").annotate(
        participant_count=Count("participants", filter=Q(participants__removed_at__isnull=True))
    )


def session_access(*, principal: Any, session_id: uuid.UUID) -> Access:
    session = session_queryset().filter(id=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    return _visible(Access(principal, session, _own_participant_id(principal, session, None)), "session")


def participant_access(*, principal: Any, participant_id: uuid.UUID) -> Access:
    participant = (
        Participant.objects.select_related("session", "session__teacher").filter(id=participant_id).first()
    )
    if participant is None:
        raise NotFound("No such participant.")
    own = _own_participant_id(principal, participant.session, participant)
    return _visible(Access(principal, participant.session, own, participant), "participant")


def document_access(*, principal: Any, participant_id: uuid.UUID, document_id: uuid.UUID) -> tuple[Access, Document]:
    access = participant_access(principal=principal, participant_id=participant_id)
    document = Document.objects.filter(id=document_id, participant_id=participant_id, deleted_at__isnull=True).first()
    if document is None:
        raise NotFound("No such file.")
    return access, document


def help_access(*, principal: Any, help_id: uuid.UUID) -> tuple[Access, HelpRequest]:
    help_request = (
        HelpRequest.objects.select_related("participant", "session", "session__teacher", "claimed_by")
        .filter(id=help_id)
        .first()
    )
    if help_request is None:
        raise NotFound("No such help request.")
    session = help_request.session
    own = _own_participant_id(principal, session, help_request.participant)
    return _visible(Access(principal, session, own, help_request.participant), "help request"), help_request


# --- sessions ---------------------------------------------------------------------------


def sessions_for(*, user: Any) -> QuerySet[ClassSession]:
    """A teacher's own sessions; every session for an admin. Newest first."""
    sessions = session_queryset().order_by("-created_at")
    return sessions if is_admin(user) else sessions.filter(teacher_id=user_id_of(user))


def participant_current(*, principal: Any) -> Participant:
    """The participation a reloading browser resumes: a guest's own; for a signed-in
    user the latest one, live sessions first."""
    participants = Participant.objects.select_related("session").filter(removed_at__isnull=True)
    user_id = user_id_of(principal)
    if getattr(principal, "is_guest", False):
        participants = participants.filter(id=principal.participant_id)
    elif user_id is not None:
        participants = participants.filter(user_id=user_id).order_by(
            Case(When(session__state=SessionState.LIVE, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "-joined_at",
        )
    participant = participants.first() if user_id is not None or getattr(principal, "is_guest", False) else None
    if participant is None:
        raise NotFound("You are not in a session. Join one with its code.")
    return participant


# --- participants -------------------------------------------------------------------------


def _latest_run(field: str, *, statuses: Iterable[str] | None = None) -> Subquery:
    runs = Execution.objects.filter(participant=OuterRef("pk")).exclude(status__in=NOT_A_RUN_STATUSES)
    if statuses is not None:
        runs = runs.filter(status__in=list(statuses))
    return Subquery(runs.order_by("-created_at").values(field)[:1])


def with_status(participants: QuerySet[Participant]) -> QuerySet[Participant]:
    """Annotate what the participant status object shows (two queries in all)."""
    return participants.annotate(last_run_status=_latest_run("status")).prefetch_related(
        Prefetch(
            "help_requests",
            queryset=HelpRequest.objects.filter(state__in=OPEN_HELP_STATES),
            to_attr="open_help_requests",
        )
    )


def participants_of(*, session: ClassSession, include_removed: bool = False) -> QuerySet[Participant]:
    participants = Participant.objects.filter(session=session)
    if not include_removed:
        participants = participants.filter(removed_at__isnull=True)
    return with_status(participants).order_by("joined_at", "pk")


def participant_with_status(*, participant_id: uuid.UUID) -> Participant:
    return with_status(Participant.objects.select_related("session").filter(id=participant_id)).get()


def documents_of(*, participant: Participant) -> QuerySet[Document]:
    return Document.objects.filter(participant=participant, deleted_at__isnull=True).order_by("created_at", "name")


def last_run_output(*, participant: Participant) -> str:
    tail = Participant.objects.filter(id=participant.id).annotate(tail=_latest_run("output_tail"))
    return tail.values_list("tail", flat=True).first() or ""


# --- help -----------------------------------------------------------------------------------


def help_queue(*, session: ClassSession, states: Iterable[str] = OPEN_HELP_STATES) -> QuerySet[HelpRequest]:
    """The session's help requests in the given states, oldest first."""
    return (
        HelpRequest.objects.filter(session=session, state__in=list(states))
        .select_related("participant", "claimed_by")
        .order_by("created_at", "pk")
    )


def help_open_of(*, participant: Participant) -> HelpRequest | None:
    return HelpRequest.objects.filter(participant=participant, state__in=OPEN_HELP_STATES).first()


# --- analytics ---------------------------------------------------------------------------------


def _error_text(status: str | None, message: str | None, tail: str | None) -> str | None:
    if not status:
        return None
    detail = (message or "").strip()
    if not detail and tail:
        lines = [line for line in tail.strip().splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else ""
    return f"{status}: {detail[:300]}" if detail else status


def session_analytics(*, session: ClassSession) -> dict[str, Any]:
    """Per-student and whole-session figures for the teacher's dashboard, in two queries."""
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
            error_status=_latest_run("status", statuses=ERROR_STATUSES),
            error_message=_latest_run("message", statuses=ERROR_STATUSES),
            error_tail=_latest_run("output_tail", statuses=ERROR_STATUSES),
            error_at=_latest_run("created_at", statuses=ERROR_STATUSES),
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
                "last_error": _error_text(p.error_status, p.error_message, p.error_tail),  # type: ignore[attr-defined]
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
