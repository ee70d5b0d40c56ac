"""Secrets kept at rest (AI providers' API keys, GitHub tokens): encrypted with keys of
their own, never with SECRET_KEY alone, and shown only masked.

SECRETS_ENCRYPTION_KEYS (environment, comma-separated) holds the keys, newest first:
each a Fernet key (`python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"`) or any passphrase of 32+ characters (stretched
with HKDF-SHA256). New secrets are encrypted with the first; any of them decrypts, so a
key is rotated by putting a new one first, running `manage.py rotate_secrets` (which
re-encrypts every stored secret with it), then removing the old one. Unset, a key is
derived from SECRET_KEY (so the try-out works; a deployment should set its own, so
that rotating SECRET_KEY does not make the stored secrets unreadable).
"""

from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

INFO = b"observer secret box v1"

# The model fields that hold sealed secrets ("app_label.Model", "field"), registered by
# the apps that keep them (in their AppConfig.ready): what `rotate_secrets` re-seals.
SEALED_FIELDS: set[tuple[str, str]] = set()


def register_sealed_field(model: str, field: str) -> None:
    SEALED_FIELDS.add((model, field))


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts (a key was removed
    before rotating, or the value was tampered with)."""


def _fernet_key(value: str) -> bytes:
    raw = value.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except (binascii.Error, ValueError):
        pass
    if len(raw) < 32:
        raise ImproperlyConfigured(
            "each SECRETS_ENCRYPTION_KEYS entry is a Fernet key or a passphrase of 32+ characters"
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(raw)
    return base64.urlsafe_b64encode(derived)


def _keys() -> list[bytes]:
    configured = [k for k in str(getattr(settings, "SECRETS_ENCRYPTION_KEYS", "") or "").split(",") if k.strip()]
    if configured:
        return [_fernet_key(k) for k in configured]
    return [_fernet_key("development secret box: " + str(settings.SECRET_KEY))]


def _box() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def seal(secret: str) -> str:
    """The secret, encrypted with the newest key (text, for a TextField)."""
    return _box().encrypt(secret.encode()).decode()


def open_(sealed: str) -> str:
    try:
        return _box().decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys") from exc


def reseal(sealed: str) -> str:
    """The same secret encrypted with the newest key (for rotation)."""
    try:
        return _box().rotate(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys") from exc


def mask(secret: str) -> str:
    """What an API may show of a secret: its kind's prefix and last four characters."""
    if len(secret) <= 8:
        return "…"
    prefix = secret.split("-", 1)[0] + "-" if "-" in secret[:8] else ""
    return f"{prefix}…{secret[-4:]}"
