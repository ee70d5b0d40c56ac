"""Joining with a code, and leaving for good (removal by the teacher)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from accounts.principals import Principal, is_guest, user_id_of, user_of
from accounts.tokens import GuestToken
from observer import contract
from observer.audit import audit_record
from observer.errors import Conflict, SessionEnded
from sessions import events, joincodes, selectors
from sessions.models import ClassSession, Document, HelpRequest, HelpState, Participant, SessionState
from sessions.services.common import broadcast_help, participant_payload, touch_session


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
        raise SessionEnded("This session has ended. Ask your teacher for the new code.")
    raise exceptions.NotFound("No session has this code. Check it with your teacher.")


def _existing_participant(session: ClassSession, principal: Principal | None, key_hash: str) -> Participant | None:
    if is_guest(principal) and principal.session_id == session.pk:
        return Participant.objects.filter(pk=principal.participant_id).first()
    user_id = user_id_of(principal)
    if user_id is not None:
        return Participant.objects.filter(session=session, user_id=user_id).first()
    if key_hash:
        return Participant.objects.filter(session=session, guest_key=key_hash, user__isnull=True).first()
    return None


def session_join(
    *, code: str, principal: Principal | None, display_name: str = "", guest_key: str = ""
) -> JoinResult:
    """Join a live session as the signed-in user or as a guest. The same user, guest
    token or guest key always gets the same participant (a reload, a second tab)."""
    user_id = user_id_of(principal)
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
        touch_session(session)
    token = None
    if user_id is None:
        token = str(
            GuestToken.for_participant(
                participant_id=str(participant.pk), session_id=str(session.pk), display_name=participant.display_name
            )
        )
    return JoinResult(participant=participant, created=created, token=token)


def _participant_create(
    session: ClassSession, principal: Principal | None, display_name: str, key_hash: str
) -> Participant:
    present = Participant.objects.filter(session=session, removed_at__isnull=True).count()
    if present >= session.max_participants:
        raise Conflict(f"This session is full ({session.max_participants} students).", code="session_full")
    user = user_of(principal)
    user_id = user.pk if user is not None else None
    name = display_name.strip() or (user.name if user is not None else "")
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
        event=contract.ParticipantJoined(type="participant.joined", participant=participant_payload(participant)),
    )
    return participant


def participant_remove(*, participant: Participant, actor: Principal | None, request: Any = None) -> None:
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
            broadcast_help(help_request, "help.cancelled")
        audit_record(action="participant.removed", actor=actor, target=participant, request=request,
                     details={"session_id": str(participant.session_id)})
        event = contract.ParticipantRemoved(type="participant.removed", participant=participant_payload(participant))
        events.broadcast_on_commit(
            groups=[events.session_group(participant.session_id, "teachers"), events.participant_group(participant.pk)],
            event=event,
        )
