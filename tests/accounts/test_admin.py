"""The Django admin for operators: finding users, and its login form's limits and signals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.test import Client, override_settings

from accounts.models import User
from tests.factories import PASSWORD, TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db

# Hourly windows: a fixed window rolling over mid-test would reset the counters.
LIMITS = {"auth_ip": "100/h", "auth_username": "3/h", "join_ip": "10/h"}


def _admin_login(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **extra)


def _listed(client: Client, query: str) -> list[str]:
    response = client.get(f"/admin/accounts/user/{query}")
    assert response.status_code == 200
    return sorted(user.username for user in response.context["cl"].result_list)


def test_it_lists_users_searchable_by_name_and_filterable_by_role(admin_user) -> None:
    TeacherFactory(username="grace", display_name="Grace Hopper")
    UserFactory(username="ada", display_name="Ada Lovelace")
    UserFactory(username="alan", display_name="Alan Turing")
    client = Client()
    client.force_login(admin_user)
    assert _listed(client, "?q=lovelace") == ["ada"]
    assert _listed(client, "?role__exact=teacher") == ["grace"]
    assert _listed(client, "?role__exact=student&q=a") == ["ada", "alan"]
    page = client.get("/admin/accounts/user/").content.decode()
    assert "By role" in page


def test_it_logs_a_staff_user_into_the_admin(admin_user) -> None:
    response = _admin_login(Client(), admin_user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@override_settings(RATELIMITS=LIMITS)
def test_it_answers_an_html_429_with_retry_after_past_the_per_username_limit(admin_user) -> None:
    for n in range(3):
        response = _admin_login(Client(), admin_user.username, "wrong", REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == 200  # the form again, with its error
    blocked = _admin_login(Client(), admin_user.username, PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert blocked.status_code == 429
    assert blocked["Content-Type"].startswith("text/html")
    retry_after = int(blocked["Retry-After"])
    assert 1 <= retry_after <= 3600
    assert f"Try again in {retry_after} second" in blocked.content.decode()
    assert "_auth_user_id" not in blocked.wsgi_request.session


@override_settings(RATELIMITS={**LIMITS, "auth_ip": "2/h", "auth_username": "100/h"})
def test_it_limits_the_admin_login_per_ip(admin_user) -> None:
    client = Client()
    statuses = [_admin_login(client, f"nobody{n}", "wrong").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


@override_settings(RATELIMITS=LIMITS)
def test_it_shares_one_allowance_per_username_between_the_api_and_the_admin(api, admin_user) -> None:
    for _ in range(3):
        api.post("/api/auth/login", {"username": admin_user.username, "password": "wrong"}, format="json")
    assert _admin_login(Client(), admin_user.username, PASSWORD).status_code == 429


@pytest.fixture
def login_signals() -> Iterator[list[str]]:
    sent: list[str] = []

    def on_success(sender: Any, **kwargs: Any) -> None:
        sent.append(f"logged_in:{kwargs['user'].username}")

    def on_failure(sender: Any, **kwargs: Any) -> None:
        sent.append(f"failed:{kwargs['credentials'].get('username')}")

    user_logged_in.connect(on_success, dispatch_uid="test-login-signals-success")
    user_login_failed.connect(on_failure, dispatch_uid="test-login-signals-failure")
    yield sent
    user_logged_in.disconnect(dispatch_uid="test-login-signals-success")
    user_login_failed.disconnect(dispatch_uid="test-login-signals-failure")


def test_it_sends_each_login_signal_once_per_admin_attempt(admin_user, login_signals) -> None:
    _admin_login(Client(), admin_user.username, "wrong")
    _admin_login(Client(), admin_user.username, PASSWORD)
    assert login_signals == [f"failed:{admin_user.username}", f"logged_in:{admin_user.username}"]


def test_it_sends_each_login_signal_once_per_api_attempt_and_sets_last_login(api, teacher, login_signals) -> None:
    api.post("/api/auth/login", {"username": teacher.username, "password": "wrong"}, format="json")
    api.post("/api/auth/login", {"username": teacher.username, "password": PASSWORD}, format="json")
    assert login_signals == [f"failed:{teacher.username}", f"logged_in:{teacher.username}"]
    assert User.objects.get(pk=teacher.pk).last_login is not None


@override_settings(RATELIMITS=LIMITS)
def test_it_sends_no_login_signal_for_a_refused_attempt(api, teacher, login_signals) -> None:
    for _ in range(4):
        api.post("/api/auth/login", {"username": teacher.username, "password": "wrong"}, format="json")
    _admin_login(Client(), teacher.username, "wrong")
    assert login_signals == [f"failed:{teacher.username}"] * 3
