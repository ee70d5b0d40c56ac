"""Writes for accounts: registration, token pairs, logout."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import denylist
from accounts.models import Role, User
from observer.audit import audit_record


def user_register(
    *,
    username: str,
    password: str,
    email: str = "",
    display_name: str = "",
    role: str = Role.STUDENT,
    invite_code: str = "",
    created_by: User | None = None,
) -> User:
    """Students register freely; teachers need the operator's invite code or an admin."""
    if role == Role.ADMIN and not (created_by and created_by.is_admin):
        raise exceptions.PermissionDenied("Only an admin can create admins.")
    if role == Role.TEACHER and not (created_by and created_by.is_admin):
        configured = settings.TEACHER_INVITE_CODE
        if not configured or invite_code != configured:
            raise exceptions.PermissionDenied("Registering as a teacher needs a valid teacher invite code.")
    if User.objects.filter(username__iexact=username).exists():
        raise exceptions.ValidationError({"username": ["This username is taken."]})
    candidate = User(username=username, email=email, display_name=display_name, role=role)
    try:
        password_validation.validate_password(password, user=candidate)
    except DjangoValidationError as error:
        raise exceptions.ValidationError({"password": list(error.messages)}) from error
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
            audit_record(
                action="user.registered", actor=created_by or candidate, target=candidate, details={"role": role}
            )
    except IntegrityError as error:  # the same name registered at the same moment
        raise exceptions.ValidationError({"username": ["This username is taken."]}) from error
    return candidate


def token_pair_for(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh["role"] = user.role
    access = refresh.access_token
    access[denylist.MINTED_WITH_CLAIM] = refresh[api_settings.JTI_CLAIM]
    return {"refresh": str(refresh), "access": str(access)}


def token_refresh(*, refresh: str) -> dict[str, str]:
    """A new pair for a valid refresh token, which is used up: it is blacklisted, and
    the access tokens minted with it end. Refused (401): expired, tampered, already
    used, or a user who is gone or inactive."""
    try:
        old = RefreshToken(refresh)  # type: ignore[arg-type]  # checks the blacklist too
    except TokenError as error:
        raise InvalidToken("This refresh token is invalid, expired or already used.") from error
    user = User.objects.filter(pk=old.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise InvalidToken("This refresh token's account is gone or inactive.")
    _end(old, error=InvalidToken("This refresh token is invalid, expired or already used."))
    return token_pair_for(user=user)


def token_logout(*, refresh: str) -> None:
    """Ends a sign-in: its refresh token is blacklisted and its access tokens end."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as error:
        raise exceptions.ValidationError({"refresh": [str(error)]}) from error
    _end(token, error=exceptions.ValidationError({"refresh": ["Token is blacklisted"]}))


def _end(token: RefreshToken, *, error: Exception) -> None:
    """Blacklist `token` once (two requests racing with the same token: one wins, the
    other gets `error`), then end the access tokens minted with it."""
    try:
        with transaction.atomic():
            _, created = token.blacklist()  # type: ignore[misc]  # get_or_create's (object, created)
    except IntegrityError:
        created = False
    if not created:
        raise error
    denylist.end(refresh_jti=str(token[api_settings.JTI_CLAIM]))
