"""Steps of social-auth's pipeline that are Observer's (settings.SOCIAL_AUTH_PIPELINE)."""

from __future__ import annotations

from typing import Any

from social_core.exceptions import AuthPolicyError

from accounts.models import User
from accounts.names import InvalidName, clean_display_name
from gitarchive.backend import INTENT_KEY
from gitarchive.credentials import credential_store


class EmailInUse(AuthPolicyError):
    """GitHub's email belongs to another Observer account: never merged silently."""


def refuse_taken_email(backend: Any, details: dict[str, Any], user: Any = None, *args: Any, **kwargs: Any) -> None:
    """Before a new account is made: an account that already has this email must sign
    in with its password and link GitHub from its profile instead."""
    if user is not None:
        return
    email = (details.get("email") or "").strip()
    if email and User.objects.filter(email__iexact=email).exists():
        raise EmailInUse(backend)


def unique_username(user: Any = None, username: str = "", *args: Any, **kwargs: Any) -> dict[str, Any] | None:
    """social-auth checks names case-sensitively; Observer's are unique whatever their
    case ("Ada" and "ada" are one person), so a taken name gets a number."""
    if user is not None or not username:
        return None
    candidate, number = username[:140], 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{username[:140]}-{number}"
    return {"username": candidate}


def _display_name(name: str) -> str:
    """GitHub's name if it keeps Observer's rule for names (no control or invisible
    characters, 80 at most); else none (the username is shown)."""
    try:
        return clean_display_name(str(name))
    except InvalidName:
        return ""


def new_user_fields(
    backend: Any, details: dict[str, Any], user: Any = None, is_new: bool = False, *args: Any, **kwargs: Any
) -> None:
    """A new account is a student (teachers need the invite code or an admin), named as
    on GitHub, with no usable password (GitHub is its way in)."""
    if not (is_new and user is not None):
        return
    user.role = "student"
    user.display_name = _display_name(details.get("fullname") or "")
    user.set_unusable_password()
    user.save(update_fields=["role", "display_name", "password"])


def keep_token(
    backend: Any, user: Any = None, social: Any = None, response: dict[str, Any] | None = None,
    *args: Any, **kwargs: Any,
) -> None:
    """Instead of social-auth's load_extra_data (which keeps the access token in plain
    text): the association keeps GitHub's login and id only, and the token is sealed,
    and only when the user connected GitHub for archiving."""
    if social is None or user is None:
        return
    response = response or {}
    social.extra_data = {"login": response.get("login", ""), "id": response.get("id")}
    social.save(update_fields=["extra_data"])
    intent = backend.strategy.session_get(INTENT_KEY) or {}
    token = response.get("access_token")
    if isinstance(intent, dict) and intent.get("purpose") == "archive" and token:
        credential_store(user=user, token=token, kind="oauth", login=response.get("login", ""), scopes="repo")
