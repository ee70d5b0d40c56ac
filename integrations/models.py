"""API keys, the Judge0 API's submissions, test sessions and the webhook queue."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    EXECUTE = "execute", "Run code"
    TEST_SESSIONS = "test-sessions", "Test sessions"
    READ = "read", "Read results"


class ApiKey(models.Model):
    """A key another system authenticates with. Only a hash of the secret is kept; the
    prefix (the key's first characters) lets people recognise it in lists and logs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=32, unique=True)
    secret_hash = models.CharField(max_length=64)  # sha256 hex of the whole key (high entropy: no stretching needed)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    allowed_ips = models.JSONField(default=list, blank=True)  # addresses or networks; empty: any
    # Per-key limits ("count/period" as django-ratelimit reads them); blank: the defaults.
    requests_rate = models.CharField(max_length=20, blank=True)
    executions_rate = models.CharField(max_length=20, blank=True)
    test_sessions_rate = models.CharField(max_length=20, blank=True)
    # Where this key's own events go (a test session completed), signed with webhook_secret; blank: none.
    webhook_url = models.CharField(max_length=2000, blank=True)
    webhook_secret = models.CharField(max_length=64, editable=False)  # signs this key's callbacks
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class SubmissionStatus(models.IntegerChoices):
    """Judge0's statuses, with its ids and descriptions."""

    IN_QUEUE = 1, "In Queue"
    PROCESSING = 2, "Processing"
    ACCEPTED = 3, "Accepted"
    WRONG_ANSWER = 4, "Wrong Answer"
    TIME_LIMIT_EXCEEDED = 5, "Time Limit Exceeded"
    COMPILATION_ERROR = 6, "Compilation Error"
    RUNTIME_ERROR_SIGSEGV = 7, "Runtime Error (SIGSEGV)"
    RUNTIME_ERROR_SIGXFSZ = 8, "Runtime Error (SIGXFSZ)"
    RUNTIME_ERROR_SIGFPE = 9, "Runtime Error (SIGFPE)"
    RUNTIME_ERROR_SIGABRT = 10, "Runtime Error (SIGABRT)"
    RUNTIME_ERROR_NZEC = 11, "Runtime Error (NZEC)"
    RUNTIME_ERROR_OTHER = 12, "Runtime Error (Other)"
    INTERNAL_ERROR = 13, "Internal Error"
    EXEC_FORMAT_ERROR = 14, "Exec Format Error"


class Submission(models.Model):
    """One submission to the Judge0-compatible API: what was asked and what came of it."""

    token = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="submissions")
    # The run's coding.Execution (not a foreign key: coding's Execution points at the key,
    # and two apps' migrations must not depend on each other).
    execution_id = models.UUIDField(null=True, blank=True)
    language_id = models.PositiveIntegerField()
    source_code = models.TextField()
    stdin = models.TextField(blank=True)
    expected_output = models.TextField(null=True, blank=True)
    request = models.JSONField(default=dict)  # the other fields as the client sent them (limits asked for)
    # The server process running it (host:pid:token, observer.liveness.PROCESS), so that a
    # submission a dead process left In Queue or Processing can be told from one still
    # going (integrations.sweeper); never in an answer.
    owner = models.CharField(max_length=200, blank=True)
    callback_url = models.CharField(max_length=2000, blank=True)
    status = models.PositiveSmallIntegerField(choices=SubmissionStatus.choices, default=SubmissionStatus.IN_QUEUE)
    stdout = models.TextField(null=True, blank=True)
    stderr = models.TextField(null=True, blank=True)
    compile_output = models.TextField(null=True, blank=True)
    message = models.TextField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    exit_signal = models.IntegerField(null=True, blank=True)
    time = models.FloatField(null=True, blank=True)  # CPU seconds
    wall_time = models.FloatField(null=True, blank=True)
    memory = models.PositiveIntegerField(null=True, blank=True)  # KB
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["api_key", "created_at"]),
            # The sweep's question, "whose are the unfinished ones?", read from a small index.
            models.Index(fields=["owner"], name="submission_unfinished_owner",
                         condition=models.Q(status__in=[SubmissionStatus.IN_QUEUE, SubmissionStatus.PROCESSING])),
        ]

    def __str__(self) -> str:
        return f"{self.token} {self.get_status_display()}"


class AsyncExecution(models.Model):
    """An /api/v1/executions?async=true run from its 202 to its end: the id its client
    polls, the server process running it (`owner`, as Submission.owner) and how it ended.
    It ends once, by a conditional update of `state` (queued → finished or server_stopped):
    the run that finishes (integrations.executions) or the sweep that finds its process
    dead (integrations.sweeper), and only that one queues the key's webhook."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued or running"
        FINISHED = "finished", "Finished"  # its answer (a result or the run service's refusal) is stored
        SERVER_STOPPED = "server_stopped", "Its server process stopped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # the id answered with the 202
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="async_executions")
    owner = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # The run's coding.Execution once it ran (not a foreign key: see Submission.execution_id).
    execution_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner"], name="asyncexecution_queued_owner", condition=models.Q(state="queued")),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.state}"


class TestSession(models.Model):
    """An assessment another system (an interview tool) drives for one candidate: questions
    picked from the bank, handed out one at a time, each submitted once."""

    __test__ = False  # not a pytest class

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETE = "complete", "Complete"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="test_sessions")
    candidate_name = models.CharField(max_length=200)
    language = models.CharField(max_length=20)
    difficulty = models.CharField(max_length=8)
    state = models.CharField(max_length=8, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["api_key", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.candidate_name} ({self.language}, {self.difficulty}, {self.state})"


class TestSessionQuestion(models.Model):
    """One question of a test session: handed out, tried on its sample tests, submitted once
    (every test), and how long the candidate spent on it (handed out → submitted)."""

    __test__ = False

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(TestSession, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveSmallIntegerField()  # 1, 2, ...
    # The bank's exercise (graded against its tests as they are at the time); the title is
    # kept for the report should the exercise be deleted.
    exercise = models.ForeignKey("exercises.Exercise", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    title = models.CharField(max_length=200)
    handed_out_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)  # also the claim while the submit is graded
    graded_at = models.DateTimeField(null=True, blank=True)
    sample_runs = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=14, blank=True)  # the submit's grade: graded, compile-error, error
    score = models.PositiveIntegerField(default=0)
    max_score = models.PositiveIntegerField(default=0)
    passed = models.BooleanField(default=False)
    files = models.JSONField(default=list)  # what was submitted: [{"name", "content"}]
    results = models.JSONField(default=dict)  # exercises.grading.Grade.as_dict(for_student=False)

    class Meta:
        ordering = ["session", "number"]
        constraints = [models.UniqueConstraint(fields=["session", "number"], name="one_question_per_number")]

    def __str__(self) -> str:
        return f"{self.session_id} #{self.number}"


class WebhookDelivery(models.Model):
    """One callback to deliver: kept until it is delivered or gives up (a day of retries)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    id = models.BigAutoField(primary_key=True)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.CharField(max_length=40)
    url = models.CharField(max_length=2000)
    method = models.CharField(max_length=8, default="PUT")
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.url} ({self.state})"
