"""Factories of the exercise suites."""

from __future__ import annotations

import factory

from exercises.models import Exercise, TestCase
from tests.factories import TeacherFactory


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    owner = factory.SubFactory(TeacherFactory)
    title = factory.Sequence(lambda n: f"Exercise {n}")
    statement = "Read two numbers, print their sum."
    languages = factory.LazyFunction(lambda: ["python"])
    starter_files = factory.LazyFunction(lambda: {"python": [{"name": "main.py", "content": "# your code\n"}]})
    solution_files = factory.LazyFunction(
        lambda: {"python": [{"name": "main.py", "content": "a, b = map(int, input().split())\nprint(a + b)\n"}]}
    )


class IoCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TestCase

    exercise = factory.SubFactory(ExerciseFactory)
    kind = "io"
    order = factory.Sequence(lambda n: n)
    stdin = "2 3\n"
    expected_stdout = "5\n"
