"""Monitoring data is for admins only: teachers, students, guests and strangers are refused."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.live_factories import make_participant, make_session, token_for

pytestmark = pytest.mark.django_db

ADMIN_ONLY = [
    "/api/monitoring/figures",
    "/api/monitoring/executions",
    "/api/monitoring/api-keys",
    "/api/monitoring/statistics",
    "/api/monitoring/errors",
    "/api/monitoring/audit",
    "/api/monitoring/resources",
    "/api/monitoring/health",
]


@pytest.fixture
def guest_client() -> APIClient:
    guest = make_participant(session=make_session(), guest=True, display_name="Robin")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(guest)}")
    return client


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_it_refuses_teachers_students_and_guests(path: str, client_for, teacher, student, guest_client) -> None:
    for client in (client_for(teacher), client_for(student), guest_client):
        response = client.get(path)
        assert response.status_code == 403, (path, response.content)
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_it_refuses_anonymous_callers(path: str, api: APIClient) -> None:
    response = api.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("path", [p for p in ADMIN_ONLY if not p.endswith("/health")])
def test_it_answers_admins(path: str, client_for, admin_user: Any) -> None:
    assert client_for(admin_user).get(path).status_code == 200


def test_it_keeps_monitoring_endpoints_read_only(client_for, admin_user: Any) -> None:
    assert client_for(admin_user).post("/api/monitoring/figures").status_code == 405
