"""Who may configure AI providers (sessions' own rules, sessions.permissions, cover the rest)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.principals import is_admin, is_teacher_account, principal_or_none


class IsAdmin(BasePermission):
    """Admins only: the deployment's provider."""

    message = "Only an admin can configure the deployment's AI provider."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_admin(principal_or_none(request))


class IsTeacherAccount(BasePermission):
    """Teacher accounts (and admins): their own provider."""

    message = "Only teachers can configure their own AI provider."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_teacher_account(principal_or_none(request))
