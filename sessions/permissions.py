"""Who may do what with a session's objects.

Object checks receive the `selectors.Access` of the request's principal: the
selectors already answered 404 when the principal has no part in the session, so a
False here (403) only ever reaches someone who can see the object.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from sessions.selectors import Access, user_id_of


class IsTeacher(BasePermission):
    """Teachers and admins (signed in, not guests)."""

    message = "Only teachers can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_id_of(request.user) is not None and bool(getattr(request.user, "is_teacher", False))


class IsSessionOwner(BasePermission):
    """Only the teacher who owns the session."""

    message = "Only this session's teacher can do this."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_owner


class IsSessionOwnerOrAdmin(BasePermission):
    """The session's teacher or an admin."""

    message = "Only this session's teacher or an admin can do this."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_owner or obj.is_admin


class CanListParticipants(BasePermission):
    """The teacher, admins, and participants when the session lets students see each other."""

    message = "Students of this session cannot see each other."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_owner or obj.is_admin or (obj.is_member and obj.session.students_see_each_other)


class IsParticipantSelfOrStaff(BasePermission):
    """The participant themselves, the session's teacher, or an admin."""

    message = "You can only see your own participation."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_self or obj.is_owner or obj.is_admin


class IsParticipantSelf(BasePermission):
    """Only the participant themselves (their user or their guest token)."""

    message = "Only the student themselves can do this."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_self


class CanReadFiles(BasePermission):
    """The participant, the teacher, admins, and peers when students see each other."""

    message = "You cannot read this student's files."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_self or obj.is_owner or obj.is_admin or obj.is_peer


class CanWriteFiles(BasePermission):
    """The participant, or the session's teacher when the session lets the teacher edit."""

    message = "You cannot change this student's files."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_self or (obj.is_owner and obj.session.teacher_can_edit)
