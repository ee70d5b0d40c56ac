"""Input and output shapes of the exercise bank (docs/API.md, "Exercises"). Inputs check
form and each field's own rules; services check what spans the whole exercise."""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath
from typing import Any

from rest_framework import serializers

from coding.languages import LANGUAGES
from coding.runner import valid_file_name
from exercises import limits
from exercises.markdown import render
from exercises.models import Comparison, Difficulty, Exercise, TestCase, TestKind, TestVisibility, Visibility
from observer.fields import StrictCharField, StringsOnly

LANGUAGE_CHOICES = sorted(LANGUAGES)


class TextField(StringsOnly, serializers.CharField):
    """Text kept exactly as sent (no trimming), capped in UTF-8 bytes, not characters."""

    def __init__(self, *, max_bytes: int, **kwargs: Any) -> None:
        self.max_bytes = max_bytes
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        if "\x00" in text:
            raise serializers.ValidationError("NUL characters are not allowed.")
        size = len(text.encode("utf-8"))
        if size > self.max_bytes:
            raise serializers.ValidationError(f"Too large: {size} bytes, at most {self.max_bytes}.")
        return text


def check_file_name(name: str) -> str:
    parts = PurePosixPath(name).parts if name else ()
    if not parts or len(parts) > 4 or name != "/".join(parts) or not all(valid_file_name(p) for p in parts):
        raise serializers.ValidationError(
            f"Invalid file name {name!r}: letters, digits, _ . + - and up to 4 folders separated by /."
        )
    if parts[-1].startswith(limits.RESERVED_PREFIX):
        raise serializers.ValidationError(f"File names starting with {limits.RESERVED_PREFIX!r} are the harness's.")
    return name


class FileSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200, trim_whitespace=False)
    content = TextField(max_bytes=limits.MAX_FILE_BYTES, default="")

    def validate_name(self, name: str) -> str:
        return check_file_name(name)


class FilesByLanguageField(serializers.DictField):
    """{language: [{"name", "content"}]}"""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=FileSerializer(many=True), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, list[dict[str, str]]]:
        files: dict[str, list[dict[str, str]]] = super().to_internal_value(data)
        for language, entries in files.items():
            if language not in LANGUAGES:
                raise serializers.ValidationError(
                    f"Unknown language {language!r}; known: {', '.join(LANGUAGE_CHOICES)}."
                )
            if len(entries) > limits.MAX_FILES_PER_LANGUAGE:
                raise serializers.ValidationError(f"{language}: at most {limits.MAX_FILES_PER_LANGUAGE} files.")
            names = [entry["name"] for entry in entries]
            if len(set(names)) != len(names):
                raise serializers.ValidationError(f"{language}: two files have the same name.")
        return {language: [dict(entry) for entry in entries] for language, entries in files.items()}


class UnitFilesField(serializers.DictField):
    """{language: {"name", "content"}}: one test file per language."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=FileSerializer(), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, dict[str, str]]:
        files: dict[str, dict[str, str]] = super().to_internal_value(data)
        for language in files:
            if language not in LANGUAGES:
                raise serializers.ValidationError(
                    f"Unknown language {language!r}; known: {', '.join(LANGUAGE_CHOICES)}."
                )
        return {language: dict(entry) for language, entry in files.items()}


def _check_python_syntax(test: dict[str, str]) -> None:
    """A Python test file that does not parse would fail every submission: said now.
    (Parsing runs no code; other languages' test files are checked by running the
    exercise's solution, which compiles them.)"""
    try:
        compile(test["content"], test["name"], "exec", dont_inherit=True)
    except SyntaxError as error:
        raise serializers.ValidationError(
            {"unit_files": [f"{test['name']} does not compile: line {error.lineno}: {error.msg}."]}
        ) from error
    except (ValueError, RecursionError, MemoryError) as error:
        raise serializers.ValidationError({"unit_files": [f"{test['name']} does not compile."]}) from error


class TestCaseInputSerializer(serializers.Serializer):
    """One test, whole (a change is merged into the stored test, then checked whole)."""

    name = StrictCharField(max_length=100, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=TestKind.choices)
    visibility = serializers.ChoiceField(choices=TestVisibility.choices, default=TestVisibility.SAMPLE)
    order = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    weight = serializers.IntegerField(min_value=1, max_value=limits.MAX_WEIGHT, default=1)
    time_limit_ms = serializers.IntegerField(
        min_value=limits.MIN_TIME_LIMIT_MS, max_value=limits.MAX_TIME_LIMIT_MS, default=2000
    )
    stdin = TextField(max_bytes=limits.MAX_CASE_BYTES, default="")
    expected_stdout = TextField(max_bytes=limits.MAX_CASE_BYTES, default="")
    comparison = serializers.ChoiceField(choices=Comparison.choices, default=Comparison.TRAILING_WHITESPACE)
    tolerance = serializers.FloatField(min_value=0, max_value=limits.MAX_TOLERANCE, allow_null=True, default=None)
    unit_files = UnitFilesField(default=dict)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["kind"] == TestKind.IO:
            self._validate_io(data)
        else:
            if not data["unit_files"]:
                raise serializers.ValidationError(
                    {"unit_files": ["A unit test needs a test file for at least one language."]}
                )
            if data["stdin"] or data["expected_stdout"]:
                raise serializers.ValidationError({"kind": ["A unit test takes no stdin or expected output."]})
            if "python" in data["unit_files"]:
                _check_python_syntax(data["unit_files"]["python"])
        return data

    @staticmethod
    def _validate_io(data: dict[str, Any]) -> None:
        expected = data["expected_stdout"]
        if data["unit_files"]:
            raise serializers.ValidationError({"unit_files": ["An I/O case takes no unit-test files."]})
        if not expected.strip():
            raise serializers.ValidationError({"expected_stdout": ["An I/O case needs an expected output."]})
        comparison = data["comparison"]
        if comparison == Comparison.REGEX:
            try:
                re.compile(expected)
            except re.error as error:
                raise serializers.ValidationError(
                    {"expected_stdout": [f"The regular expression does not compile: {error}."]}
                ) from error
        if comparison == Comparison.NUMERIC:
            if data["tolerance"] is None or not math.isfinite(data["tolerance"]):
                raise serializers.ValidationError(
                    {"tolerance": ["A numeric comparison needs a tolerance (0 or more)."]}
                )
            for token in expected.split():
                try:
                    float(token)
                except ValueError:
                    raise serializers.ValidationError(
                        {"expected_stdout": [f"A numeric comparison expects numbers only; {token[:40]!r} is not one."]}
                    ) from None
        elif data["tolerance"] is not None:
            raise serializers.ValidationError({"tolerance": ["Only a numeric comparison takes a tolerance."]})


class ExerciseInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=limits.MAX_TITLE)
    statement = TextField(max_bytes=limits.MAX_STATEMENT, default="")
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGE_CHOICES), min_length=1, max_length=len(LANGUAGE_CHOICES)
    )
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, default=Difficulty.EASY)
    tags = serializers.ListField(
        child=StrictCharField(max_length=limits.MAX_TAG_LENGTH), max_length=limits.MAX_TAGS, default=list
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)
    starter_files = FilesByLanguageField(default=dict)
    solution_files = FilesByLanguageField(default=dict)

    def validate_languages(self, languages: list[str]) -> list[str]:
        if len(set(languages)) != len(languages):
            raise serializers.ValidationError("A language is listed twice.")
        return languages

    def validate_tags(self, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(tag for tag in tags if tag))

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        languages = set(data.get("languages", ()))
        for field in ("starter_files", "solution_files"):
            extra = set(data.get(field, {})) - languages
            if extra:
                raise serializers.ValidationError(
                    {field: [f"Files for a language the exercise does not offer: {', '.join(sorted(extra))}."]}
                )
        return data


class ExerciseCreateInputSerializer(ExerciseInputSerializer):
    tests = TestCaseInputSerializer(many=True, default=list)


# --- outputs ------------------------------------------------------------------------------


class OwnerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user.get_full_name() or user.username)


class TestCaseOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TestCase
        fields = ["id", "name", "kind", "visibility", "order", "weight", "time_limit_ms", "stdin",
                  "expected_stdout", "comparison", "tolerance", "unit_files"]  # fmt: skip


class ExerciseSummarySerializer(serializers.ModelSerializer):
    owner = OwnerSerializer()
    tests_count = serializers.IntegerField()
    solution_passes = serializers.SerializerMethodField(help_text="True when the last check passed in every language")

    class Meta:
        model = Exercise
        fields = ["id", "owner", "title", "languages", "difficulty", "tags", "visibility", "tests_count",
                  "solution_passes", "created_at", "updated_at"]  # fmt: skip

    def get_solution_passes(self, exercise: Exercise) -> bool:
        checks = exercise.solution_check or {}
        return (
            bool(checks)
            and all(c.get("passed") for c in checks.values())
            and set(checks) >= set(exercise.solution_files)
        )


class ExerciseOutputSerializer(ExerciseSummarySerializer):
    statement_html = serializers.SerializerMethodField()
    tests = serializers.SerializerMethodField()

    class Meta(ExerciseSummarySerializer.Meta):
        fields = [*ExerciseSummarySerializer.Meta.fields, "statement", "statement_html", "starter_files",
                  "solution_files", "solution_check", "tests"]  # fmt: skip

    def get_statement_html(self, exercise: Exercise) -> str:
        return render(exercise.statement)

    def get_tests(self, exercise: Exercise) -> Any:
        return TestCaseOutputSerializer(exercise.tests.order_by("order", "id"), many=True).data


class ExercisePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ExerciseSummarySerializer(many=True)
