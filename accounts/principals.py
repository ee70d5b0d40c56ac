"""The request principal for a guest: an authenticated student without an account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class GuestPrincipal:
    participant_id: uuid.UUID
    session_id: uuid.UUID
    display_name: str

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_guest = True
    is_staff = False
    is_superuser = False
    is_teacher = False
    is_admin = False
    role = "student"
    pk = None
    id = None

    @property
    def name(self) -> str:
        return self.display_name

    @property
    def username(self) -> str:
        return f"guest:{self.participant_id}"

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False
