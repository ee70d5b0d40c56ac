"""Guest tokens: signed, expiring JWTs bound to one participant of one session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from rest_framework_simplejwt.tokens import Token


class GuestToken(Token):
    token_type = "guest"
    lifetime = timedelta(hours=12)

    def __init__(self, token: Any = None, verify: bool = True) -> None:
        self.lifetime = settings.GUEST_TOKEN_LIFETIME
        super().__init__(token, verify=verify)

    @classmethod
    def for_participant(cls, *, participant_id: str, session_id: str, display_name: str) -> GuestToken:
        token = cls()
        token["participant_id"] = str(participant_id)
        token["session_id"] = str(session_id)
        token["name"] = display_name
        return token
