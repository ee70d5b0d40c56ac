"""Attempt limits for signing in (API and admin alike), registering and refreshing.

Every attempt counts against RATELIMIT_AUTH_IP for its address and, once we know whose
account it is about, RATELIMIT_AUTH_USERNAME for that account: the username typed for
login and register, the user a (genuinely signed) refresh token names for refresh.
"""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend

from observer.ratelimits import enforce


def limit_attempts(request: Any, *, group: str, username: Any = "", account: str = "") -> None:
    """Count one attempt of `group` per IP, then per username or account; 429 past either."""
    enforce(request, group=group, rate_name="auth_ip")
    if isinstance(username, str) and username.strip():
        account = f"name:{username.strip().lower()[:150]}"
    if account:
        enforce(request, group=group, rate_name="auth_username", key_value=account)


def token_account(raw: Any) -> str:
    """The account a token was signed for, or "" unless its signature and expiry check out
    (a blacklisted one still counts against its user); so a forged token naming someone
    else cannot spend that user's tries."""
    if not isinstance(raw, str) or not raw:
        return ""
    try:
        payload = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]
    except TokenBackendError:
        return ""
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    return f"user:{user_id}" if user_id else ""
