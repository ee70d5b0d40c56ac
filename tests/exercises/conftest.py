"""Fixtures of the exercise suites."""

from __future__ import annotations

from typing import Any

import pytest

from exercises.models import Exercise, TestCase


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs ~1 s per user on a busy machine; these suites make several users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bank_snapshot() -> dict[str, list[Any]]:
    """Everything a refused request must leave alone."""
    return {
        "exercises": list(Exercise.objects.order_by("pk").values()),
        "tests": list(TestCase.objects.order_by("pk").values()),
    }


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an error of this status and code in the standard shape."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return dict(body["error"])
