"""Reads for classroom sessions: who may see what, participants' status, files and
their freshest text, the help queue, each with a bounded number of queries (the
dashboard's figures are in `sessions.analytics`).

Visibility is decided here: an object whose session the principal has no part in
(not its teacher, not an admin, not a participant) is a 404, so ids reveal nothing.
What a principal may *do* with an object it can see is the permissions' business.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from rest_framework.exceptions import NotFound

from accounts.principals import Principal, is_admin, is_guest, user_id_of
from coding.models import Execution
from sessions import filenames
from sessions.models import (
    ClassSession,
    Document,
    DocumentUpdate,
    HelpRequest,
    HelpState,
    Participant,
    SessionState,
)

logger = logging.getLogger("observer.sessions")

OPEN_HELP_STATES = (HelpState.OPEN, HelpState.CLAIMED)
# Run outcomes that count as the student's error (not "killed": they pressed stop;
# not "sandbox-error": that one is the server's fault).
ERROR_STATUSES = ("runtime-error", "compile-error", "timeout", "memory-limit", "output-limit")
# Refused before running (rate limits): not a run.
NOT_A_RUN_STATUSES = ("rejected",)


# --- who a principal is to a session ---------------------------------------------------
#
# One access model for REST and sockets (sessions.live.access builds its grants from it).
# To one session, a principal is:
#   teacher  the session's teacher (`ClassSession.teacher`);
#   student  the participant in question themself (their user, or their guest token);
#   peer     another participant of the same session, where students see each other;
#   admin    an admin (accounts.principals: the admin role or a superuser);
#   member   any present participant of the session (a student or a peer);
# and no one else sees anything of it (404).


@dataclass(frozen=True)
class Access:
    """One principal's relation to one session (and optionally one participant in it)."""

    principal: Principal
    session: ClassSession
    own_participant_id: uuid.UUID | None  # the principal's own participation in the session
    participant: Participant | None = None  # the participant in question, if any

    @property
    def is_teacher(self) -> bool:
        """The session's teacher."""
        user_id = user_id_of(self.principal)
        return user_id is not None and self.session.teacher_id == user_id

    @property
    def is_admin(self) -> bool:
        return is_admin(self.principal)

    @property
    def is_member(self) -> bool:
        """A present participant of the session."""
        return self.own_participant_id is not None

    @property
    def is_student(self) -> bool:
        """The participant in question themself (not removed from the session)."""
        return (
            self.participant is not None
            and self.participant.removed_at is None
            and self.participant.id == self.own_participant_id
        )

    @property
    def is_peer(self) -> bool:
        """Another participant of the session, in a session where students see each other."""
        return self.is_member and not self.is_student and self.session.students_see_each_other

    @property
    def is_visible(self) -> bool:
        return self.is_teacher or self.is_admin or self.is_member

    @property
    def target(self) -> Participant:
        """The participant in the URL (for participant-scoped access)."""
        assert self.participant is not None, "not a participant-scoped access"
        return self.participant


def _own_participant_id(principal: Principal, session: ClassSession, target: Participant | None) -> uuid.UUID | None:
    if is_guest(principal):
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


def participation_of(*, principal: Principal, session: ClassSession) -> Participant | None:
    """The principal's own present participation in the session (whoever else they are)."""
    if is_guest(principal):
        if principal.session_id != session.pk:
            return None
        return Participant.objects.filter(pk=principal.participant_id, removed_at__isnull=True).first()
    return Participant.objects.filter(session=session, user_id=principal.pk, removed_at__isnull=True).first()


def access_to(*, principal: Principal, session: ClassSession, participant: Participant | None = None) -> Access:
    """The principal's relation to the session (and to one participant of it), visible or not."""
    return Access(principal, session, _own_participant_id(principal, session, participant), participant)


def _visible(access: Access, what: str) -> Access:
    if not access.is_visible:
        raise NotFound(f"No such {what}.")
    return access


def session_queryset() -> QuerySet[ClassSession]:
    """Sessions with what their API object shows: the teacher and the participant count."""
    return ClassSession.objects.select_related("teacher").annotate(
        participant_count=Count("participants", filter=Q(participants__removed_at__isnull=True))
    )


def session_detail(*, session_id: uuid.UUID) -> ClassSession:
    """One session as its API object shows it (after a write: the fresh row and count)."""
    return session_queryset().get(pk=session_id)


def session_access(*, principal: Principal, session_id: uuid.UUID) -> Access:
    session = session_queryset().filter(id=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    return _visible(access_to(principal=principal, session=session), "session")


def participant_access(*, principal: Principal, participant_id: uuid.UUID) -> Access:
    participant = (
        Participant.objects.select_related("session", "session__teacher").filter(id=participant_id).first()
    )
    if participant is None:
        raise NotFound("No such participant.")
    return _visible(access_to(principal=principal, session=participant.session, participant=participant), "participant")


def document_access(
    *, principal: Principal, participant_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[Access, Document]:
    access = participant_access(principal=principal, participant_id=participant_id)
    document = Document.objects.filter(id=document_id, participant_id=participant_id, deleted_at__isnull=True).first()
    if document is None:
        raise NotFound("No such file.")
    return access, document


def document_history_access(*, principal: Principal, document_id: uuid.UUID) -> tuple[Access, Document]:
    """A document (deleted ones too: their history stays) and its participant's access."""
    document = Document.objects.filter(pk=document_id).only("id", "name", "participant_id").first()
    if document is None:
        raise NotFound("No such file.")
    return participant_access(principal=principal, participant_id=document.participant_id), document


def help_access(*, principal: Principal, help_id: uuid.UUID) -> tuple[Access, HelpRequest]:
    help_request = (
        HelpRequest.objects.select_related("participant", "session", "session__teacher", "claimed_by")
        .filter(id=help_id)
        .first()
    )
    if help_request is None:
        raise NotFound("No such help request.")
    access = access_to(principal=principal, session=help_request.session, participant=help_request.participant)
    return _visible(access, "help request"), help_request


# --- sessions ---------------------------------------------------------------------------


def _live_first(state_field: str) -> Case:
    return Case(When(**{state_field: SessionState.LIVE}, then=Value(0)), default=Value(1), output_field=IntegerField())


def sessions_for(*, user: Principal) -> QuerySet[ClassSession]:
    """A teacher's own sessions; every session for an admin. Live ones first (a reopened
    old session stays on the first page), then newest first."""
    sessions = session_queryset().order_by(_live_first("state"), "-created_at", "pk")
    return sessions if is_admin(user) else sessions.filter(teacher_id=user_id_of(user))


def participant_current(*, principal: Principal) -> Participant:
    """The participation a reloading browser resumes: a guest's own; for a signed-in
    user the latest one, live sessions first."""
    participants = Participant.objects.select_related("session").filter(removed_at__isnull=True)
    if is_guest(principal):
        participants = participants.filter(id=principal.participant_id)
    else:
        participants = participants.filter(user_id=principal.pk).order_by(_live_first("session__state"), "-joined_at")
    participant = participants.first()
    if participant is None:
        raise NotFound("You are not in a session. Join one with its code.")
    return participant


# --- participants -------------------------------------------------------------------------


def latest_run(field: str, *, statuses: Iterable[str] | None = None) -> Subquery:
    # The student's terminal runs: an exercise's check (not interactive) has its own
    # results, and its output on hidden tests is not the student's to see.
    runs = Execution.objects.filter(participant=OuterRef("pk"), interactive=True).exclude(
        status__in=NOT_A_RUN_STATUSES
    )
    if statuses is not None:
        runs = runs.filter(status__in=list(statuses))
    return Subquery(runs.order_by("-created_at").values(field)[:1])


def with_status(participants: QuerySet[Participant]) -> QuerySet[Participant]:
    """Annotate what the participant status object shows (two queries in all)."""
    return participants.annotate(last_run_status=latest_run("status")).prefetch_related(
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


def participant_in_session(*, session: ClassSession, participant_id: uuid.UUID) -> Participant:
    participant = Participant.objects.filter(pk=participant_id, session=session).first()
    if participant is None:
        raise NotFound("No such participant in this session.")
    return participant


def participant_detail(*, participant_id: uuid.UUID) -> Participant:
    """A participant with status and its session as the session object shows it."""
    participant = participant_with_status(participant_id=participant_id)
    participant.session = session_detail(session_id=participant.session_id)
    return participant


def documents_of(*, participant: Participant) -> QuerySet[Document]:
    """The participant's files, oldest first, each knowing whether its text is behind
    its log (for `with_current_text`, without another query)."""
    return _with_behind(Document.objects.filter(participant=participant, deleted_at__isnull=True)).order_by(
        "created_at", "name"
    )


def documents_of_many(*, participant_ids: Iterable[uuid.UUID]) -> QuerySet[Document]:
    """`documents_of` for many participants at once (unordered)."""
    return _with_behind(Document.objects.filter(participant_id__in=list(participant_ids), deleted_at__isnull=True))


# --- files' text ------------------------------------------------------------------------

_TEXT = "current_text"


def _logged_after_snapshot() -> Exists:
    return Exists(DocumentUpdate.objects.filter(document=OuterRef("pk"), seq__gt=OuterRef("snapshot_seq")))


def _with_behind(documents: QuerySet[Document]) -> QuerySet[Document]:
    return documents.annotate(behind=_logged_after_snapshot())


def with_current_text(documents: Iterable[Document]) -> list[Document]:
    """The documents, each with its freshest text as `current_text`: `content`, or for one
    with live edits logged after its snapshot (logged every second, snapshotted only after
    2 s idle or every 15 s) the snapshot plus the log. One query (none for documents from
    `documents_of`), plus one per document that is behind."""
    from sessions.live.crdt import current_text

    documents = list(documents)
    unknown = [d.pk for d in documents if not hasattr(d, "behind")]
    behind: set[uuid.UUID] = {d.pk for d in documents if getattr(d, "behind", False)}
    if unknown:
        later = Document.objects.filter(_logged_after_snapshot(), pk__in=unknown)
        behind |= set(later.values_list("pk", flat=True))
    for document in documents:
        setattr(document, _TEXT, current_text(document=document) if document.pk in behind else document.content)
    return documents


def current_text_of(document: Document) -> str:
    """What `with_current_text` found, or (one document on its own) found now."""
    if not hasattr(document, _TEXT):
        with_current_text([document])
    return str(getattr(document, _TEXT))


def files_size(*, participant: Participant, exclude: uuid.UUID | None = None) -> int:
    """The UTF-8 size of the participant's files together (their freshest text)."""
    documents = documents_of(participant=participant)
    if exclude is not None:
        documents = documents.exclude(pk=exclude)
    return sum(filenames.content_size(current_text_of(d)) for d in with_current_text(documents))


def documents_in_live_editors(*, document_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The documents a live hub holds in some server process (an editor is connected, or
    was within LIVE_HUB_IDLE_SECONDS): their last second of edits may not be in the
    database yet. When Redis cannot tell, all of them (the cautious answer)."""
    from sessions.live import bridge
    from sessions.live.topics import document_topic

    topics = {document_topic(pk): pk for pk in document_ids}
    if not topics:
        return set()
    try:
        return {topics[topic] for topic in bridge.listened(topics)}
    except Exception:
        logger.exception("could not ask Redis which documents are open; treating all as open")
        return set(topics.values())


def last_run_output(*, participant: Participant) -> str:
    tail = Participant.objects.filter(id=participant.id).annotate(tail=latest_run("output_tail"))
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
