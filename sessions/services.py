"""Writes for classroom sessions: lifecycle, joining, files, pushes, help requests.

Every change a browser should see is broadcast after the transaction commits
(`sessions.events`). Text replacement of an existing document goes through the CRDT
(`sessions.live.crdt.replace_text`) so editors and the update log stay in step; new
documents only get `content`, and the live layer seeds their CRDT from it.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from rest_framework import exceptions

from accounts.tokens import GuestToken
from coding.languages import get_language
from coding.models import Execution
from monitoring.services import audit_record
from observer.errors import Conflict, FileTooLarge
from sessions import events, filenames, joincodes, selectors
from sessions.models import (
    ClassSession,
    Document,
    HelpRequest,
    HelpState,
    Participant,
    SessionState,
)

_CODE_ATTEMPTS = 20
LAST_OUTPUT_CHARS = 4000


# --- helpers ------------------------------------------------------------------------------


def _session_ended(session: ClassSession) -> Conflict:
    return Conflict("This session has ended; its files are read-only.", code="session_ended")


def _require_not_ended(session: ClassSession) -> None:
    if session.state == SessionState.ENDED:
        raise _session_ended(session)


def _check_size(*, content: str, language: str, field_name: str = "content") -> None:
    limit = filenames.max_content_bytes(language)
    if filenames.content_size(content) > limit:
        raise FileTooLarge(f"{field_name}: the file is larger than the {limit // 1024} KB limit.")


def _touch_session(session: ClassSession, *, participant: Participant | None = None) -> None:
    now = timezone.now()
    ClassSession.objects.filter(pk=session.pk).update(last_activity_at=now)
    if participant is not None:
        Participant.objects.filter(pk=participant.pk).update(last_activity_at=now)


def _session_payload(session: ClassSession) -> dict[str, Any]:
    from sessions.serializers import SessionOutputSerializer

    return dict(SessionOutputSerializer(selectors.session_queryset().get(pk=session.pk)).data)


def _participant_payload(participant: Participant) -> dict[str, Any]:
    from sessions.serializers import ParticipantStatusSerializer

    return dict(ParticipantStatusSerializer(selectors.participant_with_status(participant_id=participant.pk)).data)


def _help_payload(help_request: HelpRequest) -> dict[str, Any]:
    from sessions.serializers import HelpRequestOutputSerializer

    return dict(HelpRequestOutputSerializer(help_request).data)


def _broadcast_session(session: ClassSession) -> None:
    events.broadcast_on_commit(
        groups=[events.session_group(session.pk, "all")],
        event={"type": "session.updated", "session": _session_payload(session)},
    )


def _broadcast_help(help_request: HelpRequest, kind: str) -> None:
    payload = _help_payload(help_request)
    events.broadcast_on_commit(
        groups=[events.session_group(help_request.session_id, "teachers")],
        event={"type": f"help.{kind}", "help_request": payload},
    )
    events.broadcast_on_commit(
        groups=[events.participant_group(help_request.participant_id)],
        event={"type": "help.updated", "help_request": payload},
    )


# --- sessions ------------------------------------------------------------------------------


def session_create(
    *,
    teacher: Any,
    title: str,
    language: str,
    instructions: str = "",
    starter_files: list[dict[str, str]] | None = None,
    max_participants: int = 100,
    teacher_can_edit: bool = True,
    students_see_each_other: bool = False,
) -> ClassSession:
    """A new session in draft; starting it issues the join code."""
    language = get_language(language).name
    for starter in starter_files or []:
        _check_size(content=starter["content"], language=language, field_name=f"starter_files {starter['name']}")
    return ClassSession.objects.create(
        teacher=teacher,
        title=title,
        language=language,
        instructions=instructions,
        starter_files=[{"name": f["name"], "content": f["content"]} for f in starter_files or []],
        max_participants=max_participants,
        teacher_can_edit=teacher_can_edit,
        students_see_each_other=students_see_each_other,
    )


def session_update(*, session: ClassSession, changes: dict[str, Any]) -> ClassSession:
    """Change a session's settings; starter files only affect students who join later."""
    if "language" in changes:
        changes["language"] = get_language(changes["language"]).name
    language = changes.get("language", session.language)
    for starter in changes.get("starter_files", []):
        _check_size(content=starter["content"], language=language, field_name=f"starter_files {starter['name']}")
    if "max_participants" in changes and session.state == SessionState.LIVE:
        present = session.participants.filter(removed_at__isnull=True).count()
        if changes["max_participants"] < present:
            raise exceptions.ValidationError(
                {"max_participants": [f"{present} students are already in this session."]}
            )
    if not changes:
        return session
    with transaction.atomic():
        for name, value in changes.items():
            setattr(session, name, value)
        session.last_activity_at = timezone.now()
        session.save(update_fields=[*changes, "last_activity_at"])
        _broadcast_session(session)
    return session


def _save_with_new_code(session: ClassSession, *, keep_code: bool) -> None:
    """Save `session` as live under a code no other live session uses."""
    for attempt in range(_CODE_ATTEMPTS):
        if not (keep_code and attempt == 0 and session.join_code):
            session.join_code = joincodes.new_code()
        try:
            with transaction.atomic():
                session.save()
            return
        except IntegrityError:
            continue  # the code is taken by another live session: draw again
    raise Conflict("Could not find a free join code; try again.")


def session_start(*, session: ClassSession) -> ClassSession:
    if session.state == SessionState.LIVE:
        return session  # a double click starts it once
    if session.state == SessionState.ENDED:
        raise Conflict("This session has ended; reopen it instead.")
    now = timezone.now()
    session.state, session.started_at, session.last_activity_at = SessionState.LIVE, now, now
    with transaction.atomic():
        _save_with_new_code(session, keep_code=False)
        _broadcast_session(session)
    return session


def session_end(*, session: ClassSession, actor: Any = None, request: Any = None, reason: str = "") -> ClassSession:
    """Students become read-only and runs are refused; the code stays so that joining
    with it explains the session has ended."""
    if session.state == SessionState.ENDED:
        return session
    with transaction.atomic():
        session.state, session.ended_at = SessionState.ENDED, timezone.now()
        session.save(update_fields=["state", "ended_at"])
        audit_record(
            action="session.ended", actor=actor, target=session, request=request,
            details={"reason": reason} if reason else None,
        )  # fmt: skip
        _broadcast_session(session)
    return session


def session_reopen(*, session: ClassSession) -> ClassSession:
    """Live again, under the old code unless another live session took it meanwhile."""
    if session.state == SessionState.LIVE:
        return session
    if session.state == SessionState.DRAFT:
        raise Conflict("This session has not started yet; start it instead.")
    session.state, session.ended_at, session.last_activity_at = SessionState.LIVE, None, timezone.now()
    with transaction.atomic():
        _save_with_new_code(session, keep_code=True)
        _broadcast_session(session)
    return session


# --- joining ---------------------------------------------------------------------------------


@dataclass
class JoinResult:
    participant: Participant
    created: bool
    token: str | None = None


def _guest_key_hash(guest_key: str) -> str:
    # Only a hash is stored: the key is a bearer secret of the guest's browser.
    return hashlib.sha256(guest_key.encode()).hexdigest()


def _find_session_for_code(code: str) -> ClassSession:
    code = joincodes.normalize(code)
    if not joincodes.is_well_formed(code):
        raise exceptions.ValidationError({"code": ["A join code is 6 letters and digits, like K7PX3M."]})
    session = ClassSession.objects.select_for_update().filter(join_code=code, state=SessionState.LIVE).first()
    if session is not None:
        return session
    if ClassSession.objects.filter(join_code=code, state=SessionState.ENDED).exists():
        raise Conflict("This session has ended. Ask your teacher for the new code.", code="session_ended")
    raise exceptions.NotFound("No session has this code. Check it with your teacher.")


def _existing_participant(session: ClassSession, principal: Any, key_hash: str) -> Participant | None:
    is_guest = getattr(principal, "is_guest", False)
    if is_guest and principal.session_id == session.pk:
        return Participant.objects.filter(pk=principal.participant_id).first()
    user_id = selectors.user_id_of(principal)
    if user_id is not None:
        return Participant.objects.filter(session=session, user_id=user_id).first()
    if key_hash:
        return Participant.objects.filter(session=session, guest_key=key_hash, user__isnull=True).first()
    return None


def session_join(*, code: str, principal: Any, display_name: str = "", guest_key: str = "") -> JoinResult:
    """Join a live session as the signed-in user or as a guest. The same user, guest
    token or guest key always gets the same participant (a reload, a second tab)."""
    user_id = selectors.user_id_of(principal)
    key_hash = _guest_key_hash(guest_key) if guest_key and user_id is None else ""
    with transaction.atomic():
        session = _find_session_for_code(code)  # locks the session row: joins queue up
        if user_id is not None and session.teacher_id == user_id:
            raise exceptions.PermissionDenied("You teach this session; open it from your sessions list.")
        existing = _existing_participant(session, principal, key_hash)
        if existing is not None and existing.removed_at is not None:
            raise exceptions.PermissionDenied("The teacher removed you from this session.")
        if existing is not None:
            participant, created = existing, False
        else:
            participant, created = _participant_create(session, principal, display_name, key_hash), True
        _touch_session(session)
    token = None
    if user_id is None:
        token = str(
            GuestToken.for_participant(
                participant_id=str(participant.pk), session_id=str(session.pk), display_name=participant.display_name
            )
        )
    return JoinResult(participant=participant, created=created, token=token)


def _participant_create(session: ClassSession, principal: Any, display_name: str, key_hash: str) -> Participant:
    present = Participant.objects.filter(session=session, removed_at__isnull=True).count()
    if present >= session.max_participants:
        raise Conflict(f"This session is full ({session.max_participants} students).", code="session_full")
    user_id = selectors.user_id_of(principal)
    name = display_name.strip() or (str(principal.name) if user_id is not None else "")
    if not name:
        raise exceptions.ValidationError({"display_name": ["Enter the name your teacher will see."]})
    now = timezone.now()
    participant = Participant.objects.create(
        session=session,
        user_id=user_id,
        display_name=name,
        is_guest=user_id is None,
        guest_key=key_hash,
        last_activity_at=now,
    )
    Document.objects.bulk_create(
        [
            Document(participant=participant, name=f["name"], content=f.get("content", ""))
            for f in session.starter_files
        ]
    )
    events.broadcast_on_commit(
        groups=[events.session_group(session.pk, "teachers")],
        event={"type": "participant.joined", "participant": _participant_payload(participant)},
    )
    return participant


def participant_remove(*, participant: Participant, actor: Any, request: Any = None) -> None:
    """The participant leaves for good: their guest token stops working, their open
    help request is cancelled; their files stay for the teacher and the export."""
    if participant.removed_at is not None:
        return
    with transaction.atomic():
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
        for help_request in HelpRequest.objects.filter(
            participant=participant, state__in=selectors.OPEN_HELP_STATES
        ).select_related("participant", "claimed_by"):
            help_request.state, help_request.resolved_at = HelpState.CANCELLED, timezone.now()
            help_request.save(update_fields=["state", "resolved_at"])
            _broadcast_help(help_request, "cancelled")
        audit_record(action="participant.removed", actor=actor, target=participant, request=request,
                     details={"session_id": str(participant.session_id)})
        event = {"type": "participant.removed", "participant": _participant_payload(participant)}
        events.broadcast_on_commit(
            groups=[events.session_group(participant.session_id, "teachers"), events.participant_group(participant.pk)],
            event=event,
        )


# --- files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Author:
    """Who writes a file: the participant themselves (user or guest) or a teacher."""

    user: Any = None
    participant: Participant | None = None

    @property
    def is_teacher(self) -> bool:
        return self.participant is None

    @classmethod
    def of(cls, *, principal: Any, access: selectors.Access) -> Author:
        if access.is_self:
            user = principal if selectors.user_id_of(principal) is not None else None
            return cls(user=user, participant=access.participant)
        return cls(user=principal)


def _writable(participant: Participant) -> None:
    _require_not_ended(participant.session)
    if participant.removed_at is not None:
        raise Conflict("This student was removed from the session.")


def _name_taken(participant: Participant, name: str, *, exclude: uuid.UUID | None = None) -> bool:
    documents = Document.objects.filter(participant=participant, name=name, deleted_at__isnull=True)
    return documents.exclude(pk=exclude).exists() if exclude else documents.exists()


def _duplicate(name: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({"name": [f'There is already a file named "{name}".']})


def _audit_teacher_edit(author: Author, document: Document, action: str, request: Any) -> None:
    if author.is_teacher:
        audit_record(
            action="file.teacher_edit", actor=author.user, target=document, request=request,
            details={"participant_id": str(document.participant_id), "change": action},
        )  # fmt: skip


def document_create(
    *, participant: Participant, name: str, content: str = "", author: Author, request: Any = None
) -> Document:
    _writable(participant)
    _check_size(content=content, language=participant.session.language)
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=participant.pk).first()  # serializes name checks
        if _name_taken(participant, name):
            raise _duplicate(name)
        if Document.objects.filter(participant=participant, deleted_at__isnull=True).count() >= filenames.max_files():
            raise exceptions.ValidationError({"name": [f"A student can have at most {filenames.max_files()} files."]})
        document = Document.objects.create(participant=participant, name=name, content=content, modified=bool(content))
        _audit_teacher_edit(author, document, "create", request)
        _touch_session(participant.session, participant=author.participant)
    return document


def document_update(
    *, document: Document, participant: Participant, author: Author, name: str | None = None,
    content: str | None = None, request: Any = None,
) -> Document:  # fmt: skip
    """Rename and/or replace the text (recorded in the CRDT log as one edit)."""
    from sessions.live.crdt import replace_text

    _writable(participant)
    if content is not None:
        _check_size(content=content, language=participant.session.language)
    with transaction.atomic():
        if name is not None and name != document.name:
            Participant.objects.select_for_update().filter(pk=participant.pk).first()
            if _name_taken(participant, name, exclude=document.pk):
                raise _duplicate(name)
            document.name = name
            document.save(update_fields=["name", "updated_at"])
        if content is not None and content != document.content:
            replace_text(
                document=document, text=content, author_user=author.user, author_participant=author.participant
            )
            Document.objects.filter(pk=document.pk).update(modified=True)
        _audit_teacher_edit(author, document, "update", request)
        _touch_session(participant.session, participant=author.participant)
    document.refresh_from_db()
    return document


def document_delete(*, document: Document, participant: Participant, author: Author, request: Any = None) -> None:
    """Soft delete: the file leaves the student's list; its history stays for replay."""
    _writable(participant)
    with transaction.atomic():
        document.deleted_at = timezone.now()
        document.save(update_fields=["deleted_at", "updated_at"])
        _audit_teacher_edit(author, document, "delete", request)


# --- push ----------------------------------------------------------------------------------


@dataclass
class PushResult:
    delivered: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def file_push(
    *, session: ClassSession, teacher: Any, name: str, content: str, participant_id: uuid.UUID | None = None
) -> PushResult:
    """Give students a file without overwriting their work: a new file; the same name
    replaced if they never changed it; else a clearly named copy beside theirs."""
    from sessions.live.crdt import replace_text
    from sessions.serializers import PushedFileSerializer

    _require_not_ended(session)
    _check_size(content=content, language=session.language)
    targets = Participant.objects.filter(session=session, removed_at__isnull=True)
    if participant_id is not None:
        targets = targets.filter(pk=participant_id)
        if not targets.exists():
            raise exceptions.ValidationError({"participant_id": ["No such student in this session."]})
    language = get_language(session.language)
    compiled = language.source_suffixes if language.compile else ()
    result = PushResult()
    with transaction.atomic():
        target_ids = list(targets.select_for_update().values_list("pk", flat=True))
        names: dict[uuid.UUID, dict[str, Document]] = {pid: {} for pid in target_ids}
        for document in Document.objects.filter(participant_id__in=target_ids, deleted_at__isnull=True):
            names[document.participant_id][document.name] = document
        new_documents: list[Document] = []
        replaced: list[Document] = []
        for pid in target_ids:
            theirs = names[pid]
            target = _push_target(name, theirs, compiled)
            if isinstance(target, Document):
                replaced.append(target)
            elif len(theirs) >= filenames.max_files():
                result.skipped.append({"participant_id": pid, "reason": "too many files"})
            else:
                new_documents.append(Document(participant_id=pid, name=target, content=content))
        for document in replaced:
            replace_text(document=document, text=content, author_user=teacher)
        Document.objects.bulk_create(new_documents)
        for document in [*replaced, *new_documents]:
            result.delivered.append({"participant_id": document.participant_id, "file_id": document.pk,
                                     "name": document.name})
            events.broadcast_on_commit(
                groups=[events.participant_group(document.participant_id)],
                event={"type": "file.pushed", "file": dict(PushedFileSerializer(document).data)},
            )
        _touch_session(session)
    return result


def _push_target(name: str, theirs: dict[str, Document], compiled: tuple[str, ...]) -> Document | str:
    """The student's file a push replaces (one nobody changed), or the name of a new file."""
    for candidate in itertools.chain([name], filenames.copy_names(name, compiled_suffixes=compiled)):
        existing = theirs.get(candidate)
        if existing is None:
            return candidate
        if not existing.modified:
            return existing
    raise AssertionError("copy_names never ends")  # pragma: no cover


# --- help requests -------------------------------------------------------------------------


def help_raise(
    *, participant: Participant, message: str = "", document_id: uuid.UUID | None = None, line: int | None = None
) -> HelpRequest:
    """Raise a hand. Captures the file, the line and the last run's output right now."""
    _require_not_ended(participant.session)
    document = None
    if document_id is not None:
        document = Document.objects.filter(pk=document_id, participant=participant, deleted_at__isnull=True).first()
        if document is None:
            raise exceptions.ValidationError({"file_id": ["No such file among yours."]})
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        if selectors.help_open_of(participant=participant) is not None:
            raise Conflict("You already have an open help request; cancel it to ask again.")
        help_request = HelpRequest.objects.create(
            session_id=participant.session_id,
            participant=participant,
            message=message,
            document=document,
            file_name=document.name if document else "",
            line=line,
            last_output=selectors.last_run_output(participant=participant)[-LAST_OUTPUT_CHARS:],
        )
        _broadcast_help(help_request, "raised")
        _touch_session(participant.session, participant=participant)
    return help_request


def _help_transition(help_request: HelpRequest, *, allowed: tuple[str, ...], to: str, verb: str) -> None:
    if help_request.state not in allowed:
        raise Conflict(f"This help request is {help_request.state}; it cannot be {verb}.")
    help_request.state = to


def help_claim(*, help_request: HelpRequest, teacher: Any) -> HelpRequest:
    if help_request.state == HelpState.CLAIMED and help_request.claimed_by_id == teacher.pk:
        return help_request
    _help_transition(help_request, allowed=(HelpState.OPEN, HelpState.CLAIMED), to=HelpState.CLAIMED, verb="claimed")
    help_request.claimed_by, help_request.claimed_at = teacher, timezone.now()
    with transaction.atomic():
        help_request.save(update_fields=["state", "claimed_by", "claimed_at"])
        _broadcast_help(help_request, "claimed")
    return help_request


def help_resolve(*, help_request: HelpRequest, teacher: Any) -> HelpRequest:
    _help_transition(help_request, allowed=selectors.OPEN_HELP_STATES, to=HelpState.RESOLVED, verb="resolved")
    help_request.resolved_at = timezone.now()
    if help_request.claimed_by_id is None:
        help_request.claimed_by, help_request.claimed_at = teacher, help_request.resolved_at
    with transaction.atomic():
        help_request.save(update_fields=["state", "resolved_at", "claimed_by", "claimed_at"])
        _broadcast_help(help_request, "resolved")
    return help_request


def help_cancel(*, help_request: HelpRequest) -> HelpRequest:
    _help_transition(help_request, allowed=selectors.OPEN_HELP_STATES, to=HelpState.CANCELLED, verb="cancelled")
    help_request.resolved_at = timezone.now()
    with transaction.atomic():
        help_request.save(update_fields=["state", "resolved_at"])
        _broadcast_help(help_request, "cancelled")
    return help_request


# --- housekeeping (manage.py cleanup) ----------------------------------------------------------


def sessions_end_idle(*, now: datetime | None = None) -> list[ClassSession]:
    """End live sessions where nothing happened (no join, edit, run, presence) for
    IDLE_SESSION_HOURS."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CLASSROOM["IDLE_SESSION_HOURS"])
    own = F("last_activity_at")
    idle = (
        ClassSession.objects.filter(state=SessionState.LIVE, last_activity_at__lt=cutoff)
        .annotate(
            latest=Greatest(  # NULLs coalesced: GREATEST treats them differently per database
                own,
                Coalesce(Max("participants__last_activity_at"), own),
                Coalesce(Max("participants__last_seen_at"), own),
                Coalesce(Max("executions__created_at"), own),
            )
        )
        .filter(latest__lt=cutoff)
    )
    return [session_end(session=session, reason="idle") for session in idle]


def guests_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete guests' participants (files, history, help requests, runs) once their
    session ended more than GUEST_RETENTION_DAYS ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CLASSROOM["GUEST_RETENTION_DAYS"])
    guests = Participant.objects.filter(
        is_guest=True, session__state=SessionState.ENDED, session__ended_at__lt=cutoff
    )
    with transaction.atomic():
        ids = list(guests.values_list("pk", flat=True))
        runs = Execution.objects.filter(participant_id__in=ids).delete()[0]
        documents = Document.objects.filter(participant_id__in=ids).count()
        Participant.objects.filter(pk__in=ids).delete()
    return {"guests": len(ids), "files": documents, "runs": runs}
