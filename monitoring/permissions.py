from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsOperator(BasePermission):
    """Only admins (the operators) see monitoring data."""

    message = "Only administrators can see monitoring data."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and getattr(user, "is_authenticated", False) and getattr(user, "is_admin", False))
