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
