"""Classroom data: sessions, participants, their documents (files), the documents'
CRDT update log, and help requests. Ids in URLs are UUIDs, never sequences."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class SessionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


class ClassSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_sessions")
    title = models.CharField(max_length=200)
    language = models.CharField(max_length=20)
    instructions = models.TextField(blank=True, help_text="Markdown shown to students.")
    # [{"name": "main.py", "content": "..."}]; copied into each participant's documents on join.
    starter_files = models.JSONField(default=list, blank=True)
    max_participants = models.PositiveIntegerField(default=100)
    teacher_can_edit = models.BooleanField(default=True)
    students_see_each_other = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=SessionState.choices, default=SessionState.DRAFT)
    join_code = models.CharField(max_length=6, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["join_code"], condition=Q(state="live"), name="unique_join_code_among_live_sessions"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state == SessionState.LIVE


class Participant(models.Model):
    """A student in one session: a signed-in user or a guest with only a display name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="participations"
    )
    display_name = models.CharField(max_length=80)
    is_guest = models.BooleanField(default=False)
    # A guest's second tab presents the same browser key, so it never makes a duplicate.
    guest_key = models.CharField(max_length=64, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    connections = models.PositiveIntegerField(default=0, help_text="Open live connections (presence).")
    active_seconds = models.PositiveIntegerField(default=0)
    chars_typed = models.PositiveIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], condition=Q(user__isnull=False), name="one_participant_per_user"
            ),
            models.UniqueConstraint(
                fields=["session", "guest_key"], condition=~Q(guest_key=""), name="one_participant_per_guest_key"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def online(self) -> bool:
        return self.connections > 0


class Document(models.Model):
    """One file of a participant. `content` is the plain text, kept in step with the
    CRDT state (`yjs_state`, a compacted Yjs update) by the live layer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(max_length=100)
    content = models.TextField(blank=True)
    yjs_state = models.BinaryField(default=b"", blank=True)
    # How many update-log rows the snapshot covers; replay and compaction start from it.
    snapshot_seq = models.BigIntegerField(default=0)
    # True once anyone but the pushing teacher edited it (a push then lands as a copy). Set
    # with the live layer's next snapshot, so pushes also look at the log (services.file_push).
    modified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "name"], condition=Q(deleted_at__isnull=True), name="unique_live_file_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class DocumentUpdate(models.Model):
    """Append-only log of Yjs updates to a document: what makes keystroke replay possible."""

    id = models.BigAutoField(primary_key=True)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="updates")
    seq = models.BigIntegerField()
    update = models.BinaryField()
    author_participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL)
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    chars_inserted = models.IntegerField(default=0)
    chars_deleted = models.IntegerField(default=0)
    # Typed earlier, delivered at once when the editor (re)synchronised (offline typing,
    # frames lost with a dropped connection): a big insertion that is not a paste.
    resynced = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["document", "seq"]
        constraints = [models.UniqueConstraint(fields=["document", "seq"], name="unique_update_seq")]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.seq}"


class HelpState(models.TextChoices):
    OPEN = "open", "Open"
    CLAIMED = "claimed", "Claimed"
    RESOLVED = "resolved", "Resolved"
    CANCELLED = "cancelled", "Cancelled"


class HelpRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="help_requests")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="help_requests")
    message = models.TextField(blank=True, max_length=2000)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL)
    file_name = models.CharField(max_length=100, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    last_output = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=HelpState.choices, default=HelpState.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant"], condition=Q(state__in=["open", "claimed"]), name="one_open_help_request"
            )
        ]

    def __str__(self) -> str:
        return f"help {self.state} for {self.participant_id}"
