"""Who writes a document: its participant (signed-in user or guest), or a teacher or an
admin. One type for the files API's writes and the live editor's connections; the update
log, the audit and the accounting read it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.principals import Principal, user_of

if TYPE_CHECKING:
    from accounts.models import User
    from sessions.models import Participant
    from sessions.selectors import Access


@dataclass(frozen=True)
class Author:
    principal: Principal | None = None  # who is behind the write
    participant: Participant | None = None  # set when a participant writes their own files
    is_teacher: bool = False
    # The name others see on this editor's cursor (whatever name its awareness claims).
    name: str = ""

    @property
    def user(self) -> User | None:
        """The signed-in user behind the write; None for a guest."""
        return user_of(self.principal)

    @property
    def user_id(self) -> uuid.UUID | None:
        user = self.user
        return user.pk if user is not None else None

    @property
    def participant_id(self) -> uuid.UUID | None:
        return self.participant.pk if self.participant is not None else None

    @classmethod
    def of(cls, *, principal: Principal, access: Access) -> Author:
        """The author of a files API write."""
        participant = access.participant if access.is_student else None
        return cls(principal=principal, participant=participant, is_teacher=participant is None)
