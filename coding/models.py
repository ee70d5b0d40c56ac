from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ExecutionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    RUNTIME_ERROR = "runtime-error", "Runtime error"
    COMPILE_ERROR = "compile-error", "Compile error"
    TIMEOUT = "timeout", "Timeout"
    MEMORY_LIMIT = "memory-limit", "Memory limit"
    OUTPUT_LIMIT = "output-limit", "Output limit"
    KILLED = "killed", "Killed"
    SANDBOX_ERROR = "sandbox-error", "Sandbox error"
    REJECTED = "rejected", "Rejected"


FINISHED_STATUSES = frozenset(
    s for s in ExecutionStatus.values if s not in ("queued", "running", "rejected")
)


class Execution(models.Model):
    """One run of a participant's (or a user's) code in the sandbox."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    participant = models.ForeignKey(
        "classroom.Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    session = models.ForeignKey(
        "classroom.ClassSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    # The API key that asked for the run (integrations' execution APIs); None for classroom runs.
    api_key = models.ForeignKey(
        "integrations.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    language = models.CharField(max_length=20, db_index=True)
    entry = models.CharField(max_length=100, blank=True)
    interactive = models.BooleanField(default=True)
    backend = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=16, choices=ExecutionStatus.choices, default=ExecutionStatus.QUEUED)
    exit_code = models.IntegerField(null=True, blank=True)
    signal = models.IntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    wall_ms = models.PositiveIntegerField(null=True, blank=True)
    cpu_ms = models.PositiveIntegerField(null=True, blank=True)
    peak_memory_kb = models.PositiveIntegerField(null=True, blank=True)
    output_bytes = models.PositiveBigIntegerField(default=0)
    queue_wait_ms = models.PositiveIntegerField(default=0)
    # The run's output tail, shown in help requests and exports.
    output_tail = models.TextField(blank=True)
    # The server process running it (host:pid:token), so that a run left `running` by a
    # process that died can be told from one still going (coding.sweeper.executions_sweep).
    owner = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["session", "created_at"]),
            models.Index(fields=["participant", "created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.language} {self.status}"
