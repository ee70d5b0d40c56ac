"""GitHub: the one-time codes of the sign-in round trip, users' stored GitHub tokens
(sealed), and archive jobs (a table, so a restart resumes or fails them cleanly)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class CodePurpose(models.TextChoices):
    SIGNIN = "signin", "Sign in"  # the browser app trades it for a JWT pair
    LINK = "link", "Link"  # starts a round trip that links GitHub to a signed-in user
    ARCHIVE = "archive", "Archive"  # the same, asking for the `repo` scope to archive


class OneTimeCode(models.Model):
    """A short-lived, single-use code; only its hash is kept."""

    code_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=10, choices=CodePurpose.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    next_path = models.CharField(max_length=300, blank=True)
    # The hash of a nonce in a cookie of the browser the code was made for: a code or
    # ticket sent to someone else's browser is worthless (no login or link CSRF).
    binding_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.user_id}"


class CredentialKind(models.TextChoices):
    OAUTH = "oauth", "Connected through GitHub"
    PASTED = "pasted", "Pasted token"


class GitHubCredential(models.Model):
    """The token a user archives with, encrypted with observer.secret_box; never returned."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="github_credential")
    kind = models.CharField(max_length=10, choices=CredentialKind.choices)
    token_sealed = models.TextField()
    login = models.CharField(max_length=100, blank=True)
    scopes = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"GitHub token of {self.user_id} ({self.kind})"


class ArchiveKind(models.TextChoices):
    SESSION = "session", "A whole session (teacher)"
    STUDENT = "student", "A student's own files"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ArchiveJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=ArchiveKind.choices)
    session = models.ForeignKey("classroom.ClassSession", on_delete=models.CASCADE, related_name="github_archives")
    participant = models.ForeignKey(
        "classroom.Participant", null=True, blank=True, on_delete=models.CASCADE, related_name="github_saves"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="github_jobs")
    owner = models.CharField(max_length=100, blank=True, help_text="An organisation; empty: the user's account.")
    repo = models.CharField(max_length=100)
    private = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    # {path: blob sha} already uploaded, so a resumed job skips them.
    uploaded = models.JSONField(default=dict, blank=True)
    repo_created = models.BooleanField(default=False)
    repo_url = models.CharField(max_length=300, blank=True)
    commit_sha = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=500, blank=True, help_text="What the job is doing or did.")
    error_code = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} archive to {self.owner or '~'}/{self.repo} ({self.state})"
