"""AI help: the providers that answer, each session's policy, and every question asked.

A provider's API key is stored sealed (observer.secret_box) and never leaves the server:
the API shows `key_hint` (a masked form computed when the key was set)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Mode(models.TextChoices):
    OFF = "off", "Off"
    HINTS = "hints", "Hints only (no code)"
    EXPLAIN = "explain", "Explain errors (no solutions)"
    FULL = "full", "Full help (may show code)"


class Kind(models.TextChoices):
    EXPLAIN = "explain", "Explain this error"
    HINT = "hint", "Give me a hint"
    QUESTION = "question", "A free question"


class Provider(models.Model):
    """An OpenAI-compatible chat-completions endpoint. `owner` None: the deployment's
    (set by an admin); otherwise a teacher's own, used for their sessions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    is_deployment = models.BooleanField(default=False)
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="assist_provider"
    )
    base_url = models.URLField(max_length=500)
    model = models.CharField(max_length=200)
    organization = models.CharField(max_length=200, blank=True)
    sealed_key = models.TextField()
    key_hint = models.CharField(max_length=40)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["is_deployment"], condition=models.Q(is_deployment=True),
                                    name="assist_one_deployment_provider"),
            models.CheckConstraint(condition=models.Q(is_deployment=True, owner__isnull=True)
                                   | models.Q(is_deployment=False, owner__isnull=False),
                                   name="assist_provider_deployment_or_owner"),
        ]  # fmt: skip

    def __str__(self) -> str:  # never the key
        return f"{self.model} at {self.base_url}"


class Policy(models.Model):
    """How far the assistant may go in one session (no row: the defaults, help off)."""

    session = models.OneToOneField("classroom.ClassSession", on_delete=models.CASCADE, related_name="assist_policy",
                                   primary_key=True)  # fmt: skip
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.OFF)
    per_student_per_hour = models.PositiveIntegerField(default=10)
    session_budget = models.PositiveIntegerField(default=300, help_text="Questions for the whole session.")
    # Stricter modes while an exercise is open: {session exercise id: mode}.
    exercise_modes = models.JSONField(default=dict, blank=True)
    # Students the teacher turned help off for (participant ids as strings).
    disabled_participants = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.mode} for session {self.session_id}"


class QuestionStatus(models.TextChoices):
    STREAMING = "streaming"
    ANSWERED = "answered"
    STOPPED = "stopped"  # the student stopped it
    WITHHELD = "withheld"  # the answer broke the policy (code under "hints only")
    FAILED = "failed"  # the provider failed


class Question(models.Model):
    """One question and its answer, with everything the teacher may want to check."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey("classroom.ClassSession", on_delete=models.CASCADE, related_name="assist_questions")
    participant = models.ForeignKey("classroom.Participant", on_delete=models.CASCADE, related_name="assist_questions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(blank=True)
    # What was sent besides the question: the run's tail, the file and line, files (names and sizes).
    context = models.JSONField(default=dict)
    error_summary = models.CharField(max_length=200, blank=True, help_text="The error's last line, for analytics.")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    model = models.CharField(max_length=200, blank=True)
    answer = models.TextField(blank=True)
    # What the model produced when the answer was withheld (the teacher sees it, the student does not).
    withheld_answer = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.STREAMING)
    error = models.CharField(max_length=300, blank=True)
    # The server process generating the answer (observer.liveness.PROCESS): one left
    # streaming by a process that died is ended by the sweeper (assist.sweeper).
    owner = models.CharField(max_length=200, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["session", "created_at"]), models.Index(fields=["participant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} by {self.participant_id} at {self.created_at}"
