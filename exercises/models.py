"""The question bank: a teacher's exercises and their tests.

Files (starter, solution, unit tests) are per language, kept as JSON on the row that
owns them: an exercise is read and written whole, and none of these files is ever
queried on its own.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Difficulty(models.TextChoices):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Visibility(models.TextChoices):
    PRIVATE = "private"
    SHARED = "shared"


class Exercise(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercises")
    title = models.CharField(max_length=200)
    statement = models.TextField(blank=True, default="")
    languages = models.JSONField(default=list)
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices, default=Difficulty.EASY)
    tags = models.JSONField(default=list)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE)
    # {language: [{"name", "content"}]}
    starter_files = models.JSONField(default=dict)
    solution_files = models.JSONField(default=dict)
    # The last "run the reference solution" per language: {language: {"passed", "score",
    # "max_score", "status", "checked_at"}}; emptied whenever the tests or the solution change.
    solution_check = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["owner", "-updated_at"]), models.Index(fields=["visibility"])]

    def __str__(self) -> str:
        return self.title


class TestKind(models.TextChoices):
    IO = "io"
    UNIT = "unit"


class TestVisibility(models.TextChoices):
    SAMPLE = "sample"
    HIDDEN = "hidden"


class Comparison(models.TextChoices):
    EXACT = "exact"
    TRAILING_WHITESPACE = "trailing_whitespace"
    NUMERIC = "numeric"
    REGEX = "regex"


class TestCase(models.Model):
    __test__ = False  # not a pytest class

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="tests")
    name = models.CharField(max_length=100, blank=True, default="")
    kind = models.CharField(max_length=4, choices=TestKind.choices)
    visibility = models.CharField(max_length=6, choices=TestVisibility.choices, default=TestVisibility.SAMPLE)
    order = models.PositiveIntegerField(default=0)
    weight = models.PositiveIntegerField(default=1)
    time_limit_ms = models.PositiveIntegerField(default=2000)
    # I/O cases
    stdin = models.TextField(blank=True, default="")
    expected_stdout = models.TextField(blank=True, default="")  # the pattern, for regex
    comparison = models.CharField(max_length=20, choices=Comparison.choices, default=Comparison.TRAILING_WHITESPACE)
    tolerance = models.FloatField(null=True, blank=True)
    # Unit tests: {language: {"name", "content"}}
    unit_files = models.JSONField(default=dict)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name or f"{self.kind} test {self.order}"


# --- in a session --------------------------------------------------------------------------


class Policy(models.TextChoices):
    BEST = "best"
    LAST = "last"


class SessionExercise(models.Model):
    """An exercise attached to a classroom session, in order. Students see it (statement,
    starter files as their documents) while it is open; a teacher may open one at a time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey("classroom.ClassSession", on_delete=models.CASCADE,
                                related_name="exercise_links")  # fmt: skip
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="session_links")
    order = models.PositiveIntegerField(default=0)
    is_open = models.BooleanField(default=True)
    # Which submission counts for the score: the best one or the last one.
    policy = models.CharField(max_length=4, choices=Policy.choices, default=Policy.BEST)
    # Submissions after it are kept, marked late.
    deadline = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "created_at"]
        constraints = [models.UniqueConstraint(fields=["session", "exercise"], name="one_link_per_session_exercise")]

    def __str__(self) -> str:
        return f"{self.exercise_id} in {self.session_id}"


class SubmissionKind(models.TextChoices):
    CHECK = "check"  # the sample tests: never counts for the score
    SUBMIT = "submit"  # every test


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued"
    GRADED = "graded"
    COMPILE_ERROR = "compile-error"
    ERROR = "error"  # the run ended before the harness finished
    REFUSED = "refused"  # the run service did not start it (rate limit, another run)


class Submission(models.Model):
    """One Check or Submit of a participant: the files as they were, every test's result
    (hidden ones included: only the teacher's views show them whole), the score."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    link = models.ForeignKey(SessionExercise, on_delete=models.CASCADE, related_name="submissions")
    participant = models.ForeignKey("classroom.Participant", on_delete=models.CASCADE,
                                    related_name="submissions")  # fmt: skip
    kind = models.CharField(max_length=6, choices=SubmissionKind.choices)
    status = models.CharField(max_length=14, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED)
    language = models.CharField(max_length=20)
    files = models.JSONField(default=list)  # [{"name", "content"}]
    results = models.JSONField(default=dict)  # grading.Grade.as_dict(for_student=False)
    score = models.PositiveIntegerField(default=0)
    max_score = models.PositiveIntegerField(default=0)
    passed = models.BooleanField(default=False)
    late = models.BooleanField(default=False)
    message = models.TextField(blank=True, default="")
    # How many times a teacher's regrade ran it again.
    regraded = models.PositiveIntegerField(default=0)
    # The server process grading it while queued (observer.liveness.PROCESS): one left
    # queued by a process that died is ended by the sweeper (exercises.sweeper).
    owner = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["link", "participant", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.score}/{self.max_score}"


class Feedback(models.Model):
    """A teacher's comment on one line of a student's file (live, or of a submission)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey("classroom.Participant", on_delete=models.CASCADE,
                                    related_name="feedback")  # fmt: skip
    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="feedback")  # fmt: skip
    file_name = models.CharField(max_length=100)
    line = models.PositiveIntegerField()
    text = models.TextField(max_length=2000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["file_name", "line", "created_at"]

    def __str__(self) -> str:
        return f"{self.file_name}:{self.line}"
