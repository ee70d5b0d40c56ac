"""Who may do what with a session's objects.

Object checks receive the `selectors.Access` of the request's principal: the
selectors already answered 404 when the principal has no part in the session, so a
False here (403) only ever reaches someone who can see the object. The names say who
(see `selectors.Access`): the session's teacher, the student themself, a peer, an admin.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.principals import is_teacher_account, principal_or_none
from sessions.selectors import Access


class IsTeacherAccount(BasePermission):
    """Signed-in users with the teacher role, and admins (not guests): may create sessions."""

    message = "Only teachers can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_teacher_account(principal_or_none(request))


class IsSessionTeacher(BasePermission):
    """Only the session's teacher."""

    message = "Only this session's teacher can do this."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_teacher


class IsSessionTeacherOrAdmin(BasePermission):
    """The session's teacher or an admin."""

    message = "Only this session's teacher or an admin can do this."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_teacher or obj.is_admin


class CanListParticipants(BasePermission):
    """The teacher, admins, and participants when the session lets students see each other."""

    message = "Students of this session cannot see each other."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_teacher or obj.is_admin or (obj.is_member and obj.session.students_see_each_other)


class IsStudentOrTeacherOrAdmin(BasePermission):
    """The student themself, the session's teacher, or an admin."""

    message = "You can only see your own participation."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_student or obj.is_teacher or obj.is_admin


class IsStudent(BasePermission):
    """Only the student themself (their user or their guest token)."""

    message = "Only the student themselves can do this."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_student


class CanReadFiles(BasePermission):
    """The student, the session's teacher, admins, and peers when students see each other."""

    message = "You cannot read this student's files."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_student or obj.is_teacher or obj.is_admin or obj.is_peer


class CanWriteFiles(BasePermission):
    """The student, or the session's teacher when the session lets the teacher edit."""

    message = "You cannot change this student's files."

    def has_object_permission(self, request: Request, view: Any, obj: Access) -> bool:
        return obj.is_student or (obj.is_teacher and obj.session.teacher_can_edit)
