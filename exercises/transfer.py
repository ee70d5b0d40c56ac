"""Moving exercises between deployments: one JSON document, versioned.

    {"format": "observer-exercises", "version": 1,
     "exercises": [{"title", "statement", "languages", "difficulty", "tags", "visibility",
                    "starter_files", "solution_files", "tests": [...]}]}

Every field is the API's input field of the same name (docs/API.md, "Exercises"), so
an import goes through exactly the checks a create does. Ids, owners, dates and the
last solution check are not exported: an import makes new exercises owned by the
importer, to be checked again on their deployment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from rest_framework import serializers

from exercises import serializers as s
from exercises import services
from exercises.models import Exercise

FORMAT = "observer-exercises"
VERSION = 1
MAX_EXERCISES = 100

_EXERCISE_FIELDS = ("title", "statement", "languages", "difficulty", "tags", "visibility",
                    "starter_files", "solution_files")  # fmt: skip
_TEST_FIELDS = ("name", "kind", "visibility", "order", "weight", "time_limit_ms", "stdin", "expected_stdout",
                "comparison", "tolerance", "unit_files")  # fmt: skip


def export_document(*, exercises: Iterable[Exercise]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exercises": [
            {
                **{key: getattr(exercise, key) for key in _EXERCISE_FIELDS},
                "tests": [
                    {key: getattr(test, key) for key in _TEST_FIELDS} for test in exercise.tests.order_by("order", "id")
                ],
            }
            for exercise in exercises
        ],
    }


class ImportDocumentSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[FORMAT])
    version = serializers.IntegerField()
    exercises = s.ExerciseCreateInputSerializer(many=True, allow_empty=False)

    def validate_exercises(self, exercises: list[Any]) -> list[Any]:
        if len(exercises) > MAX_EXERCISES:
            raise serializers.ValidationError(f"At most {MAX_EXERCISES} exercises per document.")
        return exercises

    def validate_version(self, version: int) -> int:
        if version != VERSION:
            raise serializers.ValidationError(f"Version {version} is not one this server reads (it reads {VERSION}).")
        return version


@transaction.atomic
def import_document(*, owner: Any, document: Any) -> list[Exercise]:
    """Every exercise of the document, or none: the first bad one refuses the lot."""
    data = ImportDocumentSerializer(data=document)
    data.is_valid(raise_exception=True)
    created = []
    for index, fields in enumerate(data.validated_data["exercises"]):
        fields = dict(fields)
        tests = fields.pop("tests")
        try:
            created.append(services.exercise_create(owner=owner, data=fields, tests=tests))
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"exercises": {str(index): error.detail}}) from error
    return created
