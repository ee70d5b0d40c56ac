"""Every API error has the same JSON shape."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from observer.urls import urlpatterns as real_urlpatterns

pytestmark = pytest.mark.django_db


def _assert_shape(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_it_answers_unknown_api_paths_with_a_json_404(api) -> None:
    response = api.get("/api/does-not-exist/")
    assert response.status_code == 404
    _assert_shape(response.json(), "not_found")


def test_it_answers_wrong_methods_with_a_json_405(api) -> None:
    response = api.get("/api/auth/login")
    assert response.status_code == 405
    _assert_shape(response.json(), "method_not_allowed")


def test_it_answers_validation_errors_with_field_details(api) -> None:
    response = api.post("/api/auth/login", {"username": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    _assert_shape(body, "invalid")
    assert set(body["error"]["details"]) == {"username", "password"}


def test_it_answers_malformed_json_with_a_400(api) -> None:
    response = api.generic("POST", "/api/auth/login", "{not json", content_type="application/json")
    assert response.status_code == 400
    _assert_shape(response.json(), "parse_error")


def test_it_answers_401_for_a_tampered_token(api, client_for, student) -> None:
    from accounts.services import token_pair_for

    access = token_pair_for(user=student)["access"]
    tampered = access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB")
    response = client_for(tampered).get("/api/auth/me")
    assert response.status_code == 401
    _assert_shape(response.json(), "token_not_valid")


class _Boom(APIView):
    permission_classes = [AllowAny]

    def get(self, request: object) -> Response:
        raise RuntimeError("kaboom")


urlpatterns = [path("api/boom", _Boom.as_view()), *real_urlpatterns]


@override_settings(ROOT_URLCONF=__name__)
def test_it_answers_server_errors_with_a_json_500_and_records_them(api) -> None:
    from monitoring.models import ErrorEvent

    response = api.get("/api/boom")
    assert response.status_code == 500
    _assert_shape(response.json(), "server_error")
    assert "kaboom" not in response.content.decode()
    assert ErrorEvent.objects.filter(source="api", message="kaboom").exists()
