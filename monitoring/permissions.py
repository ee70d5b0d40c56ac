from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsOperator(BasePermission):
    """Only admins (the operators) see monitoring data."""

    message = "Only administrators can see monitoring data."

    def has_permission(self, request: Request, view: Any) -> bool:
        # The one admin rule (accounts.principals): the admin role or a superuser; never a guest.
        user = request.user
        return user is not None and user.is_authenticated and user.is_admin
