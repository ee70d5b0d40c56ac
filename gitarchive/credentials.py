"""The GitHub token a user archives with: sealed at rest (observer.secret_box), shown
only masked, revocable."""

from __future__ import annotations

from django.db import transaction
from rest_framework.exceptions import NotFound

from accounts.models import User
from gitarchive.models import CredentialKind, GitHubCredential
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
    """Forgets the user's token; one GitHub gave Observer's app is also ended on GitHub
    (a pasted token is the user's to delete on GitHub)."""
    credential = GitHubCredential.objects.filter(user=user).first()
    if credential is None:
        return False
    token = token_of(credential) if credential.kind == CredentialKind.OAUTH else None
    with transaction.atomic():
        GitHubCredential.objects.filter(pk=credential.pk).delete()
        audit_record(action="github.token_revoked", actor=user, target=user, request=request,
                     details={"kind": credential.kind})
    if token:
        from gitarchive.client import revoke_app_token

        revoke_app_token(token)
    return True


def token_of(credential: GitHubCredential) -> str | None:
    try:
        return open_(credential.token_sealed)
    except SecretUnreadable:
        return None


def masked(credential: GitHubCredential) -> str:
    token = token_of(credential)
    return mask(token) if token else "(unreadable: connect again)"


def github_unlink(*, user: User, request: object = None) -> None:
    """Removes the GitHub link (and the stored token). Refused while GitHub is the
    account's only way in."""
    from social_django.models import UserSocialAuth

    from observer.errors import Conflict

    social = UserSocialAuth.objects.filter(user=user, provider="github").first()
    if social is None:
        raise NotFound("GitHub is not linked to this account.")
    if not user.has_usable_password():
        raise Conflict("GitHub is this account's only way in: it cannot be unlinked until the account has a "
                       "password (ask an admin to set one).")
    with transaction.atomic():
        social.delete()
        audit_record(action="auth.github_unlinked", actor=user, target=user, request=request,
                     details={"github_id": social.uid})
    credential_revoke(user=user, request=request)
