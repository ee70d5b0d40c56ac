"""manage.py seed_demo: a demo teacher and student, only on an empty database."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_creates_a_teacher_and_a_student_with_the_printed_passwords() -> None:
    output = _seed()
    printed = dict(re.findall(r"username: (\S+)\s+password: (\S+)", output))
    assert set(printed) == {"teacher", "student"}
    assert printed["teacher"] != printed["student"]
    teacher, student = User.objects.get(username="teacher"), User.objects.get(username="student")
    assert (teacher.role, student.role) == (Role.TEACHER, Role.STUDENT)
    assert teacher.check_password(printed["teacher"]) and student.check_password(printed["student"])
    assert teacher.is_staff and not student.is_staff  # the teacher can sign in to /admin/
    assert teacher.password.startswith("argon2")


def test_it_creates_nothing_on_a_second_run() -> None:
    _seed()
    before = list(User.objects.values_list("id", "password"))
    output = _seed()
    assert "no demo accounts created" in output
    assert "password:" not in output
    assert list(User.objects.values_list("id", "password")) == before


def test_it_creates_nothing_when_any_user_exists(student) -> None:
    assert "no demo accounts created" in _seed()
    assert list(User.objects.values_list("username", flat=True)) == [student.username]


def test_it_prints_passwords_that_log_in_through_the_api(api) -> None:
    printed = dict(re.findall(r"username: (\S+)\s+password: (\S+)", _seed()))
    response = api.post("/api/auth/login", {"username": "teacher", "password": printed["teacher"]}, format="json")
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "teacher"
