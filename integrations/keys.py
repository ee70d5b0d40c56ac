"""API keys: made, revoked and rotated here (each audited), and looked up from a request.

A key reads `obs_<prefix>_<secret>`: the `obs_` start tells it from a JWT (`eyJ...`) in
an `Authorization: Bearer` header, the prefix names the row, and only a SHA-256 of the
whole key is stored. The secret is 256 random bits, so a fast hash is as good as a slow
one here (nobody can guess through it), and it keeps every request cheap.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.models import User
from integrations.models import ApiKey, Scope
from observer.audit import audit_record

KEY_START = "obs_"
PREFIX_CHARS = 8


@dataclass(frozen=True)
class IssuedKey:
    """A key just made: the row and its secret, which is shown this once."""

    key: ApiKey
    secret: str


def looks_like_key(text: str) -> bool:
    return text.startswith(KEY_START)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    return prefix, f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"


def valid_networks(values: Sequence[str]) -> list[str]:
    """The allow-list as canonical networks; ValidationError names the first bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError:
            raise ValidationError({"allowed_ips": [f"{value!r} is not an IP address or network."]}) from None
    return networks


def key_create(*, owner: User, name: str, scopes: Sequence[str], actor: User,
               expires_at: datetime.datetime | None = None, allowed_ips: Sequence[str] = (),
               requests_rate: str = "", executions_rate: str = "", test_sessions_rate: str = "",
               webhook_url: str = "", request: Any = None) -> IssuedKey:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise ValidationError({"scopes": [f"Unknown scope(s): {', '.join(unknown)}."]})
    prefix, secret = _new_secret()
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name, owner=owner, prefix=prefix, secret_hash=_hash(secret), scopes=sorted(set(scopes)),
            expires_at=expires_at, allowed_ips=valid_networks(allowed_ips), requests_rate=requests_rate,
            executions_rate=executions_rate, test_sessions_rate=test_sessions_rate, webhook_url=webhook_url,
            webhook_secret=secrets.token_hex(32),
        )
        audit_record(action="api_key.created", actor=actor, target=key, request=request,
                     details={"name": name, "owner": owner.username, "prefix": prefix, "scopes": key.scopes})
    return IssuedKey(key=key, secret=secret)


def key_revoke(*, key: ApiKey, actor: User, request: Any = None) -> ApiKey:
    with transaction.atomic():
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
        audit_record(action="api_key.revoked", actor=actor, target=key, request=request,
                     details={"name": key.name, "prefix": key.prefix})
    return key


def key_rotate(*, key: ApiKey, actor: User, request: Any = None) -> IssuedKey:
    """A new secret (and prefix) for the same key: the old secret stops working at once."""
    old_prefix = key.prefix
    prefix, secret = _new_secret()
    with transaction.atomic():
        key.prefix, key.secret_hash = prefix, _hash(secret)
        key.save(update_fields=["prefix", "secret_hash"])
        audit_record(action="api_key.rotated", actor=actor, target=key, request=request,
                     details={"name": key.name, "old_prefix": old_prefix, "prefix": prefix})
    return IssuedKey(key=key, secret=secret)


EDITABLE = ("name", "scopes", "expires_at", "allowed_ips", "requests_rate", "executions_rate", "test_sessions_rate",
            "webhook_url")


def key_update(*, key: ApiKey, actor: User, changes: dict[str, Any], request: Any = None) -> ApiKey:
    """Change a key's settings (EDITABLE; the secret only by rotating): audited with the
    names of the fields that changed."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    changes = dict(changes)
    if "scopes" in changes:
        bad = sorted(set(changes["scopes"]) - set(Scope.values))
        if bad:
            raise ValidationError({"scopes": [f"Unknown scope(s): {', '.join(bad)}."]})
        changes["scopes"] = sorted(set(changes["scopes"]))
    if "allowed_ips" in changes:
        changes["allowed_ips"] = valid_networks(changes["allowed_ips"])
    changed = [name for name, value in changes.items() if getattr(key, name) != value]
    with transaction.atomic():
        for name in changed:
            setattr(key, name, changes[name])
        if changed:
            key.save(update_fields=changed)
        audit_record(action="api_key.updated", actor=actor, target=key, request=request,
                     details={"name": key.name, "prefix": key.prefix, "changed": changed})
    return key


def key_for_secret(secret: str) -> ApiKey | None:
    """The key this secret belongs to (active or not), or None."""
    if not looks_like_key(secret) or len(secret) > 200:
        return None
    prefix = secret[len(KEY_START):].split("_", 1)[0]
    key = ApiKey.objects.select_related("owner").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    return key


def ip_allowed(key: ApiKey, ip: str) -> bool:
    if not key.allowed_ips:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in key.allowed_ips)


class KeyRefused(Exception):
    """A key that may not be used (now, or from there): `code` and `message` say why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def key_for_use(*, secret: str, ip: str) -> ApiKey:
    """The key of this secret if it may be used now from `ip` (counted as used), for a
    request and a socket alike; else KeyRefused."""
    key = key_for_secret(secret)
    if key is None:
        raise KeyRefused("invalid_api_key", "This API key is not valid.")
    if key.revoked_at is not None:
        raise KeyRefused("api_key_revoked", "This API key has been revoked.")
    if not key.is_active:
        raise KeyRefused("api_key_expired", "This API key has expired.")
    if not key.owner.is_active:
        raise KeyRefused("api_key_inactive", "This API key's owner is inactive.")
    if not ip_allowed(key, ip):
        raise KeyRefused("api_key_address", "This API key may not be used from this address.")
    key_used(key=key)
    return key


def key_used(*, key: ApiKey) -> None:
    """Count one authenticated request (one UPDATE: no read-modify-write race)."""
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now(), use_count=F("use_count") + 1)


def keys_visible_to(*, user: User) -> Any:
    """Admins see every key, teachers their own."""
    keys = ApiKey.objects.select_related("owner")
    return keys if user.is_admin else keys.filter(owner=user)
