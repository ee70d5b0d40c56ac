"""Who may do what with the bank. Object checks receive the `ExerciseAccess` the
selectors built (they already answered 404 to whoever cannot see the exercise)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from exercises.selectors import ExerciseAccess


class IsTeacherAccount(BasePermission):
    """Signed-in teachers and admins; students and guests see nothing of the bank."""

    message = "Only teachers can use the exercise bank."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return not getattr(user, "is_guest", False) and bool(getattr(user, "is_teacher", False))


class IsExerciseOwner(BasePermission):
    """Only the teacher who owns the exercise changes it."""

    message = "Only this exercise's owner can change it."

    def has_object_permission(self, request: Request, view: Any, obj: ExerciseAccess) -> bool:
        return obj.is_owner
