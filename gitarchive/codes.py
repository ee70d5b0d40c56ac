"""One-time codes: short-lived and single-use, stored as hashes (a leaked database row
cannot be replayed). The sign-in round trip ends with one in the app's URL fragment
instead of a token; the app trades it for the JWT pair."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from gitarchive.models import OneTimeCode

LIFETIME = timedelta(seconds=120)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


BINDING_COOKIE = "observer_github_bind"


def new_binding() -> str:
    return secrets.token_urlsafe(24)


def code_issue(*, user: User, purpose: str, binding: str, next_path: str = "") -> str:
    """A code usable once, within LIFETIME, only by the browser holding `binding` (in
    BINDING_COOKIE)."""
    code = secrets.token_urlsafe(32)
    OneTimeCode.objects.create(
        code_hash=_hash(code), purpose=purpose, user=user, next_path=next_path, binding_hash=_hash(binding),
        expires_at=timezone.now() + LIFETIME,
    )
    OneTimeCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return code


def code_consume(*, code: str, purpose: str, binding: str | None) -> OneTimeCode | None:
    """The code's row if it is valid, unused and unexpired (and now used); else None.
    One conditional UPDATE: of two requests racing with one code, one wins."""
    if not isinstance(code, str) or not code or len(code) > 200 or not binding:
        return None
    now = timezone.now()
    digest = _hash(code)
    claimed = OneTimeCode.objects.filter(
        code_hash=digest, purpose=purpose, binding_hash=_hash(binding), used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        return None
    return OneTimeCode.objects.select_related("user").get(code_hash=digest)


def set_binding(response: Any, binding: str) -> None:
    """The browser's half of a code: only sent back to the GitHub endpoints, never readable by scripts."""
    response.set_cookie(BINDING_COOKIE, binding, max_age=int(LIFETIME.total_seconds()), path="/api/auth/github/",
                        httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
