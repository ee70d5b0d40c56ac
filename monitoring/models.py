from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """A security-relevant event, kept for admins (logins, role changes, exports, ...)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, blank=True, help_text="Who, kept after the user is gone.")
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} by {self.actor_label}"


class ErrorEvent(models.Model):
    """A sandbox failure or an unhandled server exception, for the operator's error list."""

    source = models.CharField(max_length=32, db_index=True)  # "api", "websocket", "sandbox", ...
    kind = models.CharField(max_length=200)
    message = models.TextField()
    path = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source}: {self.kind}: {self.message[:80]}"
