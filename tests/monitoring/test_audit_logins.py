"""Logins and failed logins are audited on every path, each exactly once: the Django
admin's login form (through django.contrib.auth's signals) and the API login view."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from monitoring.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def entries(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def admin_login(username: str, password: str) -> Any:
    return Client().post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_it_audits_a_login_through_the_django_admin(admin_user) -> None:
    response = admin_login(admin_user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"

    [event] = entries("auth.login")
    assert event.actor == admin_user and event.actor_label == admin_user.username
    assert event.ip == "127.0.0.1"
    assert entries("auth.login_failed") == []


def test_it_audits_a_failed_login_through_the_django_admin(admin_user) -> None:
    response = admin_login(admin_user.username, "not-the-password")
    assert response.status_code == 200  # the form again, with its error

    [event] = entries("auth.login_failed")
    assert event.actor is None
    assert event.details == {"username": admin_user.username}
    assert event.ip == "127.0.0.1"
    assert entries("auth.login") == []


def test_it_never_stores_the_attempted_password(admin_user) -> None:
    admin_login(admin_user.username, "hunter2-secret")
    assert "hunter2-secret" not in str(entries("auth.login_failed")[0].details)


def test_it_audits_an_api_login_once(api, student) -> None:
    response = api.post("/api/auth/login", {"username": student.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200

    [event] = entries("auth.login")
    assert event.actor == student and event.ip == "127.0.0.1"


def test_it_audits_a_failed_api_login_once(api, student) -> None:
    response = api.post("/api/auth/login", {"username": student.username, "password": "wrong"}, format="json")
    assert response.status_code == 401

    [event] = entries("auth.login_failed")
    assert event.details == {"username": student.username}
    assert event.ip == "127.0.0.1"


def test_it_audits_each_of_several_failed_logins(api, student) -> None:
    for _ in range(3):
        api.post("/api/auth/login", {"username": student.username, "password": "wrong"}, format="json")
    admin_login(student.username, "wrong")
    assert len(entries("auth.login_failed")) == 4
