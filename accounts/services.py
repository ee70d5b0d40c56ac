"""Writes for accounts: registration, token pairs, logout."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role, User
from monitoring.services import audit_record


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
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def token_logout(*, refresh: str) -> None:
    try:
        RefreshToken(refresh).blacklist()  # type: ignore[arg-type]
    except TokenError as error:
        raise exceptions.ValidationError({"refresh": [str(error)]}) from error
