from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.models import Role, User
from monitoring.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(api, username: str, password: str = PASSWORD):
    return api.post("/api/auth/login", {"username": username, "password": password}, format="json")


def test_it_registers_a_student_and_returns_a_working_token_pair(api) -> None:
    response = api.post("/api/auth/register", {"username": "ada", "password": PASSWORD}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["user"]["role"] == "student"
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    me = api.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == "ada"
    assert me.json()["guest"] is False


def test_it_hashes_passwords_with_argon2(api) -> None:
    api.post("/api/auth/register", {"username": "ada", "password": PASSWORD}, format="json")
    assert User.objects.get(username="ada").password.startswith("argon2")


def test_it_rejects_weak_passwords_with_the_validators_messages(api) -> None:
    response = api.post("/api/auth/register", {"username": "ada", "password": "123"}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert "password" in body["details"]
    assert not User.objects.filter(username="ada").exists()


def test_it_refuses_a_duplicate_username_case_insensitively(api, student) -> None:
    response = api.post(
        "/api/auth/register", {"username": student.username.upper(), "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert User.objects.filter(username__iexact=student.username).count() == 1


def test_it_refuses_teacher_registration_without_the_invite_code(api) -> None:
    response = api.post(
        "/api/auth/register", {"username": "t1", "password": PASSWORD, "role": "teacher"}, format="json"
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="t1").exists()


@override_settings(TEACHER_INVITE_CODE="let-me-teach")
def test_it_registers_a_teacher_with_the_configured_invite_code(api) -> None:
    wrong = api.post(
        "/api/auth/register",
        {"username": "t1", "password": PASSWORD, "role": "teacher", "invite_code": "guess"},
        format="json",
    )
    assert wrong.status_code == 403
    right = api.post(
        "/api/auth/register",
        {"username": "t1", "password": PASSWORD, "role": "teacher", "invite_code": "let-me-teach"},
        format="json",
    )
    assert right.status_code == 201
    assert User.objects.get(username="t1").role == Role.TEACHER


def test_it_lets_an_admin_create_a_teacher(admin_user, client_for) -> None:
    response = client_for(admin_user).post(
        "/api/auth/register", {"username": "t2", "password": PASSWORD, "role": "teacher"}, format="json"
    )
    assert response.status_code == 201
    assert User.objects.get(username="t2").role == Role.TEACHER


def test_it_does_not_let_a_teacher_create_a_teacher(teacher, client_for) -> None:
    response = client_for(teacher).post(
        "/api/auth/register", {"username": "t3", "password": PASSWORD, "role": "teacher"}, format="json"
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="t3").exists()


def test_it_logs_in_and_audits_success_and_failure(api, teacher) -> None:
    assert _login(api, teacher.username, "wrong").status_code == 401
    response = _login(api, teacher.username)
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh", "user"}
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "auth.login_failed" in actions and "auth.login" in actions


def test_it_rotates_refresh_tokens_and_blacklists_the_old_one(api, student) -> None:
    first = _login(api, student.username).json()["refresh"]
    rotated = api.post("/api/auth/refresh", {"refresh": first}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first
    reused = api.post("/api/auth/refresh", {"refresh": first}, format="json")
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] in {"token_not_valid", "authentication_failed"}


def test_it_blacklists_the_refresh_token_on_logout(api, student) -> None:
    refresh = _login(api, student.username).json()["refresh"]
    assert api.post("/api/auth/logout", {"refresh": refresh}, format="json").status_code == 204
    assert api.post("/api/auth/refresh", {"refresh": refresh}, format="json").status_code == 401


def test_it_answers_me_with_401_without_a_token(api) -> None:
    response = api.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_makes_superusers_admins() -> None:
    user = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    assert user.role == Role.ADMIN


def test_it_keeps_usernames_unique_case_insensitively_in_the_database(student) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username=student.username.upper())


def test_it_answers_400_when_the_same_name_registers_at_the_same_moment(api, student, monkeypatch) -> None:
    from django.db.models.query import QuerySet

    monkeypatch.setattr(QuerySet, "exists", lambda self: False)  # the other request has not committed yet
    body = {"username": student.username.title(), "password": PASSWORD}
    response = api.post("/api/auth/register", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"username": ["This username is taken."]}
    assert User.objects.filter(username__iexact=student.username).count() == 1
