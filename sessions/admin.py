"""Operator views of classroom data: browse and search; files are read-only here
(edits go through the API so the CRDT log stays in step)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.names import DisplayNameAdminMixin
from sessions.models import ClassSession, Document, HelpRequest, Participant
from sessions.serializers import SessionUpdateInputSerializer


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = ("display_name", "user", "is_guest", "joined_at", "last_activity_at", "connections", "removed_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


def _messages(errors: Any) -> list[str]:
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


def validate_starter_files(value: Any) -> None:
    """The API's rule for starter files (names, types, uniqueness, count) in the admin's JSON."""
    checked = SessionUpdateInputSerializer(data={"starter_files": value})
    if not checked.is_valid():
        raise ValidationError(_messages(checked.errors.get("starter_files", checked.errors)))


@admin.register(ClassSession)
class ClassSessionAdmin(admin.ModelAdmin):
    list_display = ("title", "teacher", "language", "state", "join_code", "created_at", "ended_at")
    list_filter = ("state", "language")
    search_fields = ("title", "join_code", "teacher__username", "teacher__display_name")
    readonly_fields = ("id", "join_code", "created_at", "started_at", "ended_at", "last_activity_at")
    raw_id_fields = ("teacher",)
    date_hierarchy = "created_at"
    inlines = [ParticipantInline]

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "starter_files" and field is not None:
            field.validators.append(validate_starter_files)
        return field


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    fields = ("name", "modified", "updated_at", "deleted_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Participant)
class ParticipantAdmin(DisplayNameAdminMixin, admin.ModelAdmin):
    list_display = ("display_name", "session", "is_guest", "joined_at", "last_activity_at", "connections", "removed_at")
    list_filter = ("is_guest",)
    search_fields = ("display_name", "user__username", "session__title", "session__join_code")
    readonly_fields = ("id", "guest_key", "joined_at", "last_seen_at", "connections", "active_seconds", "chars_typed")
    raw_id_fields = ("session", "user")
    inlines = [DocumentInline]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("name", "participant", "modified", "updated_at", "deleted_at")
    search_fields = ("name", "participant__display_name")
    exclude = ("yjs_state",)
    readonly_fields = ("id", "participant", "name", "content", "snapshot_seq", "modified", "created_at", "updated_at")
    raw_id_fields = ("participant",)


@admin.register(HelpRequest)
class HelpRequestAdmin(admin.ModelAdmin):
    list_display = ("participant", "session", "state", "file_name", "created_at", "resolved_at")
    list_filter = ("state",)
    search_fields = ("participant__display_name", "message", "session__title")
    raw_id_fields = ("session", "participant", "document", "claimed_by")
    readonly_fields = ("id", "created_at", "claimed_at", "resolved_at", "last_output")
