"""The GitHub token a user archives with: sealed at rest (observer.secret_box), shown
only masked, revocable."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from gitarchive.models import GitHubCredential
from observer.audit import audit_record
from observer.secret_box import SecretUnreadable, mask, open_, seal


def credential_store(*, user: User, token: str, kind: str, login: str = "", scopes: str = "") -> GitHubCredential:
    with transaction.atomic():
        credential, _ = GitHubCredential.objects.update_or_create(
            user=user, defaults={"kind": kind, "token_sealed": seal(token), "login": login, "scopes": scopes}
        )
        audit_record(action="github.token_saved", actor=user, target=user, details={"kind": kind, "login": login})
    return credential


def credential_revoke(*, user: User, request: object = None) -> bool:
    with transaction.atomic():
        deleted, _ = GitHubCredential.objects.filter(user=user).delete()
        if deleted:
            audit_record(action="github.token_revoked", actor=user, target=user, request=request)
    return bool(deleted)


def token_of(credential: GitHubCredential) -> str | None:
    try:
        return open_(credential.token_sealed)
    except SecretUnreadable:
        return None


def masked(credential: GitHubCredential) -> str:
    token = token_of(credential)
    return mask(token) if token else "(unreadable: connect again)"
