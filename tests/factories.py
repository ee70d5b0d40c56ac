"""Factories shared by every test suite."""

from __future__ import annotations

import factory

from accounts.models import Role, User

PASSWORD = "Correct-horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name")
    role = Role.STUDENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: object = None) -> None:
        if create:
            instance.save()


class TeacherFactory(UserFactory):
    role = Role.TEACHER


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True
