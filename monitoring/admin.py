from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from monitoring.models import AuditEvent, ErrorEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: viewable, never edited or deleted by hand (retention
    and the error-list cap prune them; see monitoring.services.history_prune)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # also removes the "delete selected" bulk action


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor_label", "target_type", "target_label", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_label", "target_label", "target_id", "ip")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(ErrorEvent)
class ErrorEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "source", "kind", "short_message", "path")
    list_filter = ("source",)
    search_fields = ("kind", "message", "path")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ErrorEvent._meta.fields]

    @admin.display(description="message")
    def short_message(self, event: ErrorEvent) -> str:
        return event.message[:120]
