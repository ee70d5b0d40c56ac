from __future__ import annotations

import pytest
from django.test import override_settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LIMITS = {"auth_ip": "100/m", "auth_username": "3/m", "join_ip": "10/m"}


@override_settings(RATELIMITS=LIMITS)
def test_it_answers_429_with_retry_after_past_the_per_username_limit(api, student) -> None:
    for _ in range(3):
        response = api.post("/api/auth/login", {"username": student.username, "password": "nope"}, format="json")
        assert response.status_code == 401
    blocked = api.post("/api/auth/login", {"username": student.username, "password": PASSWORD}, format="json")
    assert blocked.status_code == 429
    retry_after = int(blocked["Retry-After"])
    assert 1 <= retry_after <= 60
    error = blocked.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["details"]["retry_after"] == retry_after
    assert str(retry_after) in error["message"]


@override_settings(RATELIMITS=LIMITS)
def test_it_limits_each_username_separately(api, student, teacher) -> None:
    for _ in range(4):
        api.post("/api/auth/login", {"username": student.username, "password": "nope"}, format="json")
    other = api.post("/api/auth/login", {"username": teacher.username, "password": PASSWORD}, format="json")
    assert other.status_code == 200


@override_settings(RATELIMITS={**LIMITS, "auth_ip": "2/m"})
def test_it_limits_registration_per_ip(api) -> None:
    for index in range(2):
        response = api.post(
            "/api/auth/register", {"username": f"new{index}", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 201
    blocked = api.post("/api/auth/register", {"username": "new9", "password": PASSWORD}, format="json")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked


@override_settings(RATELIMITS={**LIMITS, "auth_ip": "2/m"})
def test_it_limits_refresh_per_ip(api) -> None:
    statuses = [api.post("/api/auth/refresh", {"refresh": "x"}, format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


@override_settings(RATELIMITS={**LIMITS, "auth_ip": "2/m"})
def test_it_counts_ips_separately(api, student) -> None:
    for _ in range(3):
        api.post("/api/auth/refresh", {"refresh": "x"}, format="json", REMOTE_ADDR="10.0.0.1")
    other = api.post("/api/auth/refresh", {"refresh": "x"}, format="json", REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 401
