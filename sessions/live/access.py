"""Who may open which live socket (synchronous selectors, called from consumers).

Students reach only their own documents and terminal and their session's events;
a session's teacher reaches every participant of that session and its monitor;
admins may watch (read-only). Everyone else is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sessions.models import ClassSession, Document, Participant, SessionState

Role = Literal["owner", "teacher", "admin"]
FORBIDDEN = 4403
NOT_FOUND = 4404


@dataclass(frozen=True)
class Grant:
    role: Role
    session: ClassSession
    participant: Participant | None  # the participant the socket is about
    document: Document | None = None

    @property
    def readonly(self) -> bool:
        return readonly_for(self.role, self.session)


def readonly_for(role: str, session: ClassSession) -> bool:
    if session.state == SessionState.ENDED or role == "admin":
        return True
    return role == "teacher" and not session.teacher_can_edit


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _is_admin(principal: Any) -> bool:
    return bool(getattr(principal, "is_admin", False) or getattr(principal, "is_superuser", False))


def _role_for(principal: Any, participant: Participant, session: ClassSession) -> Role | None:
    if getattr(principal, "is_guest", False):
        owner = principal.participant_id == participant.pk
    else:
        owner = participant.user_id is not None and participant.user_id == getattr(principal, "pk", None)
    if owner:
        return "owner" if participant.removed_at is None else None
    if not getattr(principal, "is_guest", False) and session.teacher_id == getattr(principal, "pk", None):
        return "teacher"
    return "admin" if _is_admin(principal) else None


def document_grant(principal: Any, document_id: Any) -> Grant | int:
    pk = parse_uuid(document_id)
    document = (
        Document.objects.select_related("participant__session").filter(pk=pk, deleted_at__isnull=True).first()
        if pk
        else None
    )
    if document is None:
        return NOT_FOUND
    participant = document.participant
    role = _role_for(principal, participant, participant.session)
    if role is None:
        return FORBIDDEN
    return Grant(role, participant.session, participant, document)


def participant_grant(principal: Any, participant_id: Any) -> Grant | int:
    pk = parse_uuid(participant_id)
    participant = Participant.objects.select_related("session").filter(pk=pk).first() if pk else None
    if participant is None:
        return NOT_FOUND
    role = _role_for(principal, participant, participant.session)
    if role is None:
        return FORBIDDEN
    return Grant(role, participant.session, participant)


def session_grant(principal: Any, session_id: Any) -> Grant | int:
    pk = parse_uuid(session_id)
    session = ClassSession.objects.filter(pk=pk).first() if pk else None
    if session is None:
        return NOT_FOUND
    if getattr(principal, "is_guest", False):
        if principal.session_id != session.pk:
            return FORBIDDEN
        participant = Participant.objects.filter(pk=principal.participant_id, removed_at__isnull=True).first()
        return Grant("owner", session, participant) if participant else FORBIDDEN
    if session.teacher_id == principal.pk:
        return Grant("teacher", session, None)
    participant = Participant.objects.filter(session=session, user_id=principal.pk, removed_at__isnull=True).first()
    if participant is not None:
        return Grant("owner", session, participant)
    return Grant("admin", session, None) if _is_admin(principal) else FORBIDDEN
