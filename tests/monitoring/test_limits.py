"""/api/me/limits answers every kind of principal with enforcement's own figures."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from coding import limits
from tests.live_factories import make_participant, make_session, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_limits(settings: Any) -> None:
    settings.RUN_LIMITS = {"runs_per_window": 4, "window_seconds": 60}


def test_it_answers_a_guest_with_the_guest_s_own_count(api: APIClient) -> None:
    guest = make_participant(session=make_session(), guest=True, display_name="Robin")
    limits.rate_take(key=f"g:{guest.pk}")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(guest)}")
    body = api.get("/api/me/limits").json()
    assert (body["used"], body["remaining"], body["runs_per_window"]) == (1, 3, 4)
    assert body["resets_at"].endswith("Z") and body["concurrent"]["max"] == 1


def test_it_answers_a_user_with_the_same_figures_as_run_usage(client_for, student) -> None:
    for _ in range(2):
        limits.rate_take(key=f"u:{student.pk}")
    assert client_for(student).get("/api/me/limits").json() == limits.run_usage(principal=student)


def test_it_refuses_anonymous_callers(api: APIClient) -> None:
    assert api.get("/api/me/limits").status_code == 401
