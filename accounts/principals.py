"""Who is behind a request or a socket: a `Principal`.

A principal is either a signed-in `User` (a student, a teacher or an admin: the account's
role) or a `GuestPrincipal` (a student without an account, known by their guest token).
Everything that needs to tell them apart asks the helpers here, so mypy checks every
branch instead of each caller guessing with `getattr`.

Admins are one rule everywhere, REST and sockets alike: a signed-in user whose role is
admin, or a superuser (`User.is_admin`; `createsuperuser` also gives the admin role).
`is_staff` alone is not admin: it only opens the Django admin site, which the demo's
teachers may use. Guests are never admins.

How a principal relates to one session (its teacher, the student themself, a peer, an
admin) is `sessions.selectors.Access`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from typing_extensions import TypeIs

if TYPE_CHECKING:
    from rest_framework.request import Request

    from accounts.models import User


@dataclass(frozen=True)
class GuestPrincipal:
    """The request principal for a guest: an authenticated student without an account.

    It stands where Django and DRF expect `request.user`, hence the user-like flags."""

    participant_id: uuid.UUID
    session_id: uuid.UUID
    display_name: str

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_guest = True
    is_staff = False
    is_superuser = False
    is_teacher = False
    is_admin = False
    role = "student"
    pk = None
    id = None

    @property
    def name(self) -> str:
        return self.display_name

    @property
    def username(self) -> str:
        return f"guest:{self.participant_id}"

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False


Principal: TypeAlias = "User | GuestPrincipal"


def is_guest(principal: Principal | None) -> TypeIs[GuestPrincipal]:
    return isinstance(principal, GuestPrincipal)


def user_of(principal: Principal | None) -> User | None:
    """The signed-in user; None for guests and nobody."""
    return None if principal is None or is_guest(principal) else principal


def user_id_of(principal: Principal | None) -> uuid.UUID | None:
    """The signed-in user's id; None for guests and nobody."""
    user = user_of(principal)
    return None if user is None else user.pk


def is_admin(principal: Principal | None) -> bool:
    """The one admin rule (see the module's docstring)."""
    user = user_of(principal)
    return user is not None and user.is_admin


def is_teacher_account(principal: Principal | None) -> bool:
    """A signed-in user who may create sessions: the teacher role, or an admin."""
    user = user_of(principal)
    return user is not None and user.is_teacher


def principal_key(principal: Principal) -> str:
    """A stable key per person, for per-principal counters (run limits): the guest's
    participant, or the user."""
    return f"g:{principal.participant_id}" if is_guest(principal) else f"u:{principal.pk}"


def as_principal(value: object) -> Principal | None:
    """A principal from an untyped source (a signal's arguments, a socket's scope): a guest
    or a signed-in user; None for anything else (nobody, AnonymousUser)."""
    from accounts.models import User  # not at import time: the app registry may not be ready

    if isinstance(value, GuestPrincipal):
        return value
    return value if isinstance(value, User) and value.is_authenticated else None


def principal_or_none(request: Request) -> Principal | None:
    """The request's principal; None for an anonymous request."""
    user = request.user
    if isinstance(user, GuestPrincipal):
        return user
    # Authentication leaves a User, a GuestPrincipal, or nobody (None: UNAUTHENTICATED_USER is off).
    return user if user is not None and user.is_authenticated else None


def principal_of(request: Request) -> Principal:
    """The request's principal, for views behind `IsAuthenticated` (which has already
    answered 401 to anyone else)."""
    principal = principal_or_none(request)
    if principal is None:
        raise NotAuthenticated()
    return principal


def user_required(request: Request) -> User:
    """The request's signed-in user, for views whose permissions admit only users (a
    teacher account, the session's teacher); a guest reaching one is refused all the same."""
    user = user_of(principal_of(request))
    if user is None:
        raise PermissionDenied("Guests cannot do this.")
    return user
