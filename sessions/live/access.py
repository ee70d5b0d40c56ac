"""Who may open which live socket (synchronous selectors, called from consumers).

The same access model as the REST API (`sessions.selectors.Access`), with the same
names: a grant says who the principal is to the socket's participant or session.
- `student`: the participant themself; reaches their own documents and terminal and
  their session's events;
- `teacher`: the session's teacher; reaches every participant of that session and its
  monitor (read-only when the session does not let the teacher edit);
- `admin`: watches anything, read-only.
Peers get no socket (they may read each other's files over REST only), and everyone
else is refused (4403; an id that names nothing, 4404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from accounts.principals import Principal
from sessions.models import ClassSession, Document, Participant, SessionState
from sessions.selectors import Access, access_to, participation_of

Who = Literal["student", "teacher", "admin"]
FORBIDDEN = 4403
NOT_FOUND = 4404


@dataclass(frozen=True)
class Grant:
    who: Who
    session: ClassSession
    participant: Participant | None  # the participant the socket is about
    document: Document | None = None

    @property
    def is_student(self) -> bool:
        """The participant themself (then `participant` is set)."""
        return self.who == "student"

    @property
    def is_teacher(self) -> bool:
        return self.who == "teacher"

    @property
    def is_admin(self) -> bool:
        return self.who == "admin"

    @property
    def readonly(self) -> bool:
        return readonly_for(self.who, self.session)


def readonly_for(who: Who, session: ClassSession) -> bool:
    if session.state == SessionState.ENDED or who == "admin":
        return True
    return who == "teacher" and not session.teacher_can_edit


def parse_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def who_of(access: Access) -> Who | None:
    """Who a participant-scoped access is on the participant's sockets: the student
    themself first (a teacher trying their own session as a student is that student)."""
    if access.is_student:
        return "student"
    if access.is_teacher:
        return "teacher"
    return "admin" if access.is_admin else None


def document_grant(principal: Principal, document_id: object) -> Grant | int:
    pk = parse_uuid(document_id)
    document = (
        Document.objects.select_related("participant__session").filter(pk=pk, deleted_at__isnull=True).first()
        if pk
        else None
    )
    if document is None:
        return NOT_FOUND
    participant = document.participant
    who = who_of(access_to(principal=principal, session=participant.session, participant=participant))
    if who is None:
        return FORBIDDEN
    return Grant(who, participant.session, participant, document)


def participant_grant(principal: Principal, participant_id: object) -> Grant | int:
    pk = parse_uuid(participant_id)
    participant = Participant.objects.select_related("session").filter(pk=pk).first() if pk else None
    if participant is None:
        return NOT_FOUND
    who = who_of(access_to(principal=principal, session=participant.session, participant=participant))
    if who is None:
        return FORBIDDEN
    return Grant(who, participant.session, participant)


def session_grant(principal: Principal, session_id: object) -> Grant | int:
    """The session's event stream: its teacher, a present participant (as that student),
    or an admin."""
    pk = parse_uuid(session_id)
    session = ClassSession.objects.filter(pk=pk).first() if pk else None
    if session is None:
        return NOT_FOUND
    if Access(principal, session, None).is_teacher:
        return Grant("teacher", session, None)
    own = participation_of(principal=principal, session=session)  # an admin may have joined as a student
    access = Access(principal, session, own.pk if own is not None else None)
    if access.is_member:
        return Grant("student", session, own)
    return Grant("admin", session, None) if access.is_admin else FORBIDDEN
