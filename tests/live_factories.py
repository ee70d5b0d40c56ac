"""Objects the live-layer tests need (sessions, participants, documents, tokens)."""

from __future__ import annotations

import random
import string
from typing import Any

from accounts.services import token_pair_for
from accounts.tokens import GuestToken
from sessions.models import ClassSession, Document, Participant, SessionState
from tests.factories import TeacherFactory, UserFactory


def make_session(*, teacher: Any = None, state: str = SessionState.LIVE, **fields: Any) -> ClassSession:
    if state == SessionState.LIVE:
        fields.setdefault("join_code", "".join(random.choices(string.ascii_uppercase + string.digits, k=6)))
    return ClassSession.objects.create(
        teacher=teacher or TeacherFactory(), title=fields.pop("title", "Loops"),
        language=fields.pop("language", "python"), state=state, **fields
    )


def make_participant(*, session: ClassSession, user: Any = None, guest: bool = False, **fields: Any) -> Participant:
    if user is None and not guest:
        user = UserFactory()
    return Participant.objects.create(
        session=session, user=user, is_guest=guest,
        display_name=fields.pop("display_name", getattr(user, "username", "guest")), **fields
    )


def make_document(*, participant: Participant, name: str = "main.py", content: str = "") -> Document:
    return Document.objects.create(participant=participant, name=name, content=content)


def token_for(principal: Any) -> str:
    """A user access token, or a guest token for a guest participant."""
    if isinstance(principal, Participant):
        return str(
            GuestToken.for_participant(
                participant_id=str(principal.pk), session_id=str(principal.session_id),
                display_name=principal.display_name,
            )
        )
    return str(token_pair_for(user=principal)["access"])
