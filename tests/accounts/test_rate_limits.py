from __future__ import annotations

import pytest
from django.test import override_settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# Hourly windows: a fixed window rolling over mid-test would reset the counters.
LIMITS = {"auth_ip": "100/h", "auth_username": "3/h", "join_ip": "10/h"}


@override_settings(RATELIMITS=LIMITS)
def test_it_answers_429_with_retry_after_past_the_per_username_limit(api, student) -> None:
    for _ in range(3):
        response = api.post("/api/auth/login", {"username": student.username, "password": "nope"}, format="json")
        assert response.status_code == 401
    blocked = api.post("/api/auth/login", {"username": student.username, "password": PASSWORD}, format="json")
    assert blocked.status_code == 429
    retry_after = int(blocked["Retry-After"])
    assert 1 <= retry_after <= 3600
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


@override_settings(RATELIMITS={**LIMITS, "auth_ip": "2/h"})
def test_it_limits_registration_per_ip(api) -> None:
    for index in range(2):
        response = api.post(
            "/api/auth/register", {"username": f"new{index}", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 201
    blocked = api.post("/api/auth/register", {"username": "new9", "password": PASSWORD}, format="json")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked


@override_settings(RATELIMITS={**LIMITS, "auth_ip": "2/h"})
def test_it_limits_refresh_per_ip(api) -> None:
    statuses = [api.post("/api/auth/refresh", {"refresh": "x"}, format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


@override_settings(RATELIMITS={**LIMITS, "auth_ip": "2/h"})
def test_it_counts_ips_separately(api, student) -> None:
    for _ in range(3):
        api.post("/api/auth/refresh", {"refresh": "x"}, format="json", REMOTE_ADDR="10.0.0.1")
    other = api.post("/api/auth/refresh", {"refresh": "x"}, format="json", REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 401


@override_settings(RATELIMITS=LIMITS)
def test_it_limits_registration_per_username_whatever_the_ip(api) -> None:
    def register(username: str, ip: str) -> int:
        body = {"username": username, "password": "123"}  # too weak: every try fails
        return api.post("/api/auth/register", body, format="json", REMOTE_ADDR=ip).status_code

    assert [register("Ada", f"10.0.0.{n}") for n in range(3)] == [400, 400, 400]
    assert register("ada", "10.0.0.9") == 429
    assert api.post("/api/auth/register", {"username": "grace", "password": PASSWORD}, format="json").status_code == 201


@override_settings(RATELIMITS=LIMITS)
def test_it_limits_refresh_per_user_of_the_token_whatever_the_ip(api, student, teacher) -> None:
    from accounts.services import token_pair_for

    refresh = token_pair_for(user=student)["refresh"]
    for n in range(3):
        response = api.post("/api/auth/refresh", {"refresh": refresh}, format="json", REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == 200
        refresh = response.json()["refresh"]
    blocked = api.post("/api/auth/refresh", {"refresh": refresh}, format="json", REMOTE_ADDR="10.0.0.9")
    assert blocked.status_code == 429
    other = api.post("/api/auth/refresh", {"refresh": token_pair_for(user=teacher)["refresh"]}, format="json")
    assert other.status_code == 200


@override_settings(RATELIMITS=LIMITS)
def test_it_does_not_let_forged_tokens_spend_a_users_refresh_allowance(api, student) -> None:
    import base64
    import json

    from accounts.services import token_pair_for

    refresh = token_pair_for(user=student)["refresh"]
    header, payload, signature = refresh.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["jti"] = "forged"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    forged = f"{header}.{forged_payload}.{signature}"
    for n in range(5):
        response = api.post("/api/auth/refresh", {"refresh": forged}, format="json", REMOTE_ADDR=f"10.0.1.{n}")
        assert response.status_code == 401
    assert api.post("/api/auth/refresh", {"refresh": refresh}, format="json").status_code == 200
