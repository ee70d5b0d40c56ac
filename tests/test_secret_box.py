"""Stored secrets (observer.secret_box): sealed with the newest key, opened with any
configured key, rotated, unreadable without the key, and shown only masked."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from observer import secret_box

OLD = Fernet.generate_key().decode()
NEW = "a passphrase that is long enough to be stretched into a key"


def test_a_secret_is_sealed_not_stored_as_it_is(settings: Any) -> None:
    settings.SECRETS_ENCRYPTION_KEYS = OLD
    sealed = secret_box.seal("sk-live-1234567890abcd")
    assert "sk-live" not in sealed and "abcd" not in sealed
    assert secret_box.open_(sealed) == "sk-live-1234567890abcd"
    assert secret_box.seal("sk-live-1234567890abcd") != sealed  # a fresh IV each time


def test_keys_rotate_newest_first(settings: Any) -> None:
    settings.SECRETS_ENCRYPTION_KEYS = OLD
    sealed = secret_box.seal("ghp_token")
    settings.SECRETS_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    assert secret_box.open_(sealed) == "ghp_token"  # the old key still opens it
    resealed = secret_box.reseal(sealed)
    settings.SECRETS_ENCRYPTION_KEYS = NEW  # the old key removed after rotating
    assert secret_box.open_(resealed) == "ghp_token"
    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.open_(sealed)


def test_a_tampered_or_foreign_secret_is_unreadable(settings: Any) -> None:
    settings.SECRETS_ENCRYPTION_KEYS = OLD
    sealed = secret_box.seal("secret")
    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.open_(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))
    settings.SECRETS_ENCRYPTION_KEYS = Fernet.generate_key().decode()
    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.open_(sealed)


def test_a_short_passphrase_is_refused(settings: Any) -> None:
    settings.SECRETS_ENCRYPTION_KEYS = "too short"
    with pytest.raises(ImproperlyConfigured):
        secret_box.seal("x")


def test_without_the_setting_a_key_comes_from_secret_key(settings: Any) -> None:
    settings.SECRETS_ENCRYPTION_KEYS = ""
    sealed = secret_box.seal("x")
    assert secret_box.open_(sealed) == "x"
    settings.SECRET_KEY = "another secret key " * 4
    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.open_(sealed)


@pytest.mark.parametrize(("secret", "shown"), [
    ("sk-proj-abcdefghijklmnop", "sk-…mnop"), ("ghp_abcdefghijklmnopqrstuvwxyz", "…wxyz"), ("short", "…"),
])
def test_only_a_mask_is_shown(secret: str, shown: str) -> None:
    assert secret_box.mask(secret) == shown


@pytest.mark.django_db
def test_rotate_secrets_reseals_every_registered_field(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import User

    # Any text field serves the test: the users' `first_name` stands in for a sealed one.
    monkeypatch.setattr(secret_box, "SEALED_FIELDS", {("accounts.User", "first_name")})
    settings.SECRETS_ENCRYPTION_KEYS = OLD
    user = User.objects.create(username="holder", first_name=secret_box.seal("token-1"))
    User.objects.create(username="nothing-sealed", first_name="")
    settings.SECRETS_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    assert "accounts.User.first_name: 1 re-sealed" in out.getvalue()
    settings.SECRETS_ENCRYPTION_KEYS = NEW
    user.refresh_from_db()
    assert secret_box.open_(user.first_name) == "token-1"
