"""Turning a bearer token (user JWT or guest token) into a principal, for HTTP and WebSocket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import Token

from accounts import denylist
from accounts.principals import GuestPrincipal, Principal
from accounts.tokens import GuestToken

if TYPE_CHECKING:
    from accounts.models import User


def token_text(raw: bytes | str) -> str | None:
    """A token as text, or None when it cannot be one: a JWT is ASCII (base64url and
    dots), and a header's bytes that are not (`Bearer \xe9...`) are no token at all."""
    try:
        text = raw.decode("ascii") if isinstance(raw, bytes) else raw
        text.encode("ascii")
    except UnicodeError:
        return None
    return text


def guest_from_token(raw: str) -> GuestPrincipal | None:
    """The guest a valid guest token names, if its participant is still in the session."""
    if token_text(raw) is None:
        return None
    try:
        token = GuestToken(raw)
    except TokenError:
        return None
    participant_model = apps.get_model("classroom", "Participant")
    try:
        participant = participant_model.objects.only("id", "session_id", "display_name").get(
            id=token["participant_id"], session_id=token["session_id"], removed_at__isnull=True
        )
    except (participant_model.DoesNotExist, KeyError, ValueError, exceptions.ValidationError):
        return None
    return GuestPrincipal(
        participant_id=participant.id, session_id=participant.session_id, display_name=participant.display_name
    )


def user_from_token(raw: str) -> User | None:
    """The active user a valid access token names."""
    try:
        authentication = UserTokenAuthentication()
        return authentication.get_user(authentication.get_validated_token(raw))  # type: ignore[arg-type,return-value]
    except (TokenError, InvalidToken, exceptions.AuthenticationFailed):
        return None


def principal_from_token(raw: str) -> Principal | None:
    return guest_from_token(raw) or user_from_token(raw)


class GuestTokenAuthentication(JWTAuthentication):
    """Accepts `Authorization: Bearer <guest token>`; leaves user JWTs to the next class."""

    def authenticate(self, request: Request) -> tuple[GuestPrincipal, str] | None:  # type: ignore[override]
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            return None
        text = token_text(raw)
        if text is None:
            return None  # not a token: the user JWT class answers 401
        try:
            token = GuestToken(text)
        except TokenError:
            return None  # not a (valid) guest token: the user JWT class decides
        principal = guest_from_token(text)
        if principal is None:
            raise exceptions.AuthenticationFailed("This guest token's participant has left the session.")
        return principal, str(token)


class UserTokenAuthentication(JWTAuthentication):
    """Accepts `Authorization: Bearer <user access token>` (simplejwt's), refusing with
    a 401 what cannot be a token at all and tokens that have ended (accounts.denylist)."""

    def get_validated_token(self, raw_token: bytes | str) -> Token:  # type: ignore[override]
        if token_text(raw_token) is None:
            raise InvalidToken("The token is not valid: tokens are ASCII.")
        token = super().get_validated_token(raw_token)  # type: ignore[arg-type]
        if denylist.has_ended(token):
            raise InvalidToken("This token has ended: its sign-in logged out or was refreshed.")
        return token
