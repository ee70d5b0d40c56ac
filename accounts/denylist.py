"""Access tokens that ended before they expire: those of a sign-in that logged out,
and those minted with a refresh token that has since been rotated.

Access tokens are not stored anywhere, so each one names the refresh token it came
with (`rjti`, its jti); ending a refresh token puts that jti here for as long as an
access token minted with it can live. Checked on every use (REST authentication and
the WebSocket handshake): one cache read. The cache is Redis with REDIS_URL, shared by
every server process; without it (the one-process try-out) it is the process's own.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("observer.auth")

KEY_PREFIX = "auth:ended:"
MINTED_WITH_CLAIM = "rjti"
# Clocks of several machines: keep entries a little past the tokens' own expiry.
_LEEWAY_SECONDS = 60


def end(*, refresh_jti: str) -> None:
    """Every access token minted with this refresh token stops working now."""
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    try:
        cache.set(f"{KEY_PREFIX}{refresh_jti}", 1, timeout=int(lifetime) + _LEEWAY_SECONDS)
    except Exception:  # the refresh token is blacklisted in the database all the same
        logger.warning("Could not end the access tokens of a sign-in: the cache did not answer", exc_info=True)


def has_ended(access: Any) -> bool:
    """Whether this (validly signed, unexpired) access token belongs to an ended refresh
    token. A cache that does not answer ends nothing: tokens then live their normal
    lifetime, rather than every signed-in request failing while Redis is away."""
    minted_with = access.get(MINTED_WITH_CLAIM)
    if not minted_with:
        return False
    try:
        return cache.get(f"{KEY_PREFIX}{minted_with}") is not None
    except Exception:
        logger.warning("Could not check whether an access token has ended: the cache did not answer", exc_info=True)
        return False
