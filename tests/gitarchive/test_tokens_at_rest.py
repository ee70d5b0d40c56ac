"""GitHub tokens at rest: sealed with observer.secret_box, registered for rotation."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from gitarchive.credentials import credential_store, token_of
from gitarchive.models import GitHubCredential
from observer import secret_box
from tests.factories import UserFactory

OLD = "an old passphrase for the secret box of 32+ chars"
NEW = "a new passphrase for the secret box also 32+ chars"


def test_the_token_field_is_registered_for_rotation() -> None:
    assert ("gitarchive.GitHubCredential", "token_sealed") in secret_box.SEALED_FIELDS


@pytest.mark.django_db
def test_rotate_secrets_reseals_github_tokens(settings: Any) -> None:
    settings.SECRETS_ENCRYPTION_KEYS = OLD
    user = UserFactory()
    credential_store(user=user, token="ghp_" + "a" * 36, kind="pasted", login="octo")
    stored = GitHubCredential.objects.get(user=user)
    assert "ghp_" not in stored.token_sealed
    settings.SECRETS_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    assert "gitarchive.GitHubCredential.token_sealed: 1 re-sealed" in out.getvalue()
    settings.SECRETS_ENCRYPTION_KEYS = NEW
    stored.refresh_from_db()
    assert token_of(stored) == "ghp_" + "a" * 36
    # A token none of the keys opens reads as missing (the job says to connect again), never a crash.
    settings.SECRETS_ENCRYPTION_KEYS = OLD
    assert token_of(stored) is None
