"""Errors outside DRF: every /api/ answer stays JSON in the standard shape (CSRF, bad Host,
plain views, DEBUG); other paths get the small HTML pages from templates/errors/."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.views.decorators.http import require_POST

from monitoring.models import ErrorEvent
from observer.urls import handler400, handler403, handler404, handler500  # noqa: F401  (this urlconf's too)
from observer.urls import urlpatterns as real_urlpatterns

pytestmark = pytest.mark.django_db


def _assert_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def _assert_page(response, status: int, text: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert text in page and "Back to Observer" in page  # templates/errors/base.html


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("plain view kaboom")


def _missing(request: HttpRequest) -> HttpResponse:
    raise Http404("no such thing")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


@require_POST
def _post_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("api/plain/crash", _crash),
    path("api/plain/missing", _missing),
    path("api/plain/forbidden", _forbidden),
    path("api/plain/post-only", _post_only),
    path("plain/crash", _crash),
    path("plain/missing", _missing),
    path("plain/forbidden", _forbidden),
    *real_urlpatterns,
]

csrf_client = pytest.fixture(lambda: Client(enforce_csrf_checks=True))


@pytest.mark.parametrize("url", ["/api/does-not-exist", "/api/sessions", "/api/auth/login/"])
def test_it_answers_a_post_to_an_unknown_api_path_with_a_json_404_not_a_csrf_page(csrf_client, url) -> None:
    _assert_shape(csrf_client.post(url, {}), 404, "not_found")


def test_it_points_at_the_path_with_or_without_the_slash(csrf_client) -> None:
    assert "did you mean /api/sessions/?" in csrf_client.post("/api/sessions").json()["error"]["message"]
    assert "did you mean /api/auth/login?" in csrf_client.post("/api/auth/login/").json()["error"]["message"]
    assert "did you mean" not in csrf_client.post("/api/nothing/here").json()["error"]["message"]


@override_settings(ROOT_URLCONF=__name__)
def test_it_answers_a_csrf_failure_under_api_in_json(csrf_client) -> None:
    error = _assert_shape(csrf_client.post("/api/plain/post-only"), 403, "csrf_failed")
    assert "CSRF" in error["message"]


def test_it_answers_a_csrf_failure_elsewhere_with_an_html_page(csrf_client) -> None:
    _assert_page(csrf_client.post("/admin/login/", {"username": "x", "password": "y"}), 403, "could not be checked")


@pytest.mark.parametrize("debug", [False, True])
def test_it_answers_a_bad_host_under_api_in_json(debug) -> None:
    with override_settings(DEBUG=debug):
        response = Client(HTTP_HOST="evil.example").get("/api/auth/me")
    error = _assert_shape(response, 400, "bad_request")
    assert "evil.example" not in error["message"]


def test_it_answers_a_bad_host_elsewhere_with_an_html_page() -> None:
    _assert_page(Client(HTTP_HOST="evil.example").get("/admin/login/"), 400, "Bad request")


@pytest.mark.parametrize("debug", [False, True])
@override_settings(ROOT_URLCONF=__name__)
def test_it_answers_a_crash_in_a_plain_api_view_in_json_and_records_it(debug) -> None:
    with override_settings(DEBUG=debug):
        response = Client().get("/api/plain/crash")
    _assert_shape(response, 500, "server_error")
    assert "kaboom" not in response.content.decode()
    assert ErrorEvent.objects.filter(source="api", message="plain view kaboom", path="/api/plain/crash").count() == 1


@override_settings(ROOT_URLCONF=__name__, DEBUG=True)
def test_it_answers_404_and_403_of_plain_api_views_in_json_in_debug_too() -> None:
    _assert_shape(Client().get("/api/plain/missing"), 404, "not_found")
    _assert_shape(Client().get("/api/plain/forbidden"), 403, "permission_denied")


@override_settings(ROOT_URLCONF=__name__)
def test_it_answers_a_wrong_method_on_a_plain_api_view_in_json_keeping_allow() -> None:
    response = Client().get("/api/plain/post-only")
    _assert_shape(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_it_keeps_drf_errors_json_for_a_browser_in_debug() -> None:
    from django.conf import settings

    renderers = [*settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"], "rest_framework.renderers.BrowsableAPIRenderer"]
    browsable = {**settings.REST_FRAMEWORK, "DEFAULT_RENDERER_CLASSES": renderers}
    with override_settings(DEBUG=True, REST_FRAMEWORK=browsable):
        response = Client().post(
            "/api/auth/login", '{"username": ""}', content_type="application/json", HTTP_ACCEPT="text/html"
        )
    error = _assert_shape(response, 400, "invalid")
    assert set(error["details"]) == {"username", "password"}


@override_settings(ROOT_URLCONF=__name__)
def test_it_serves_html_error_pages_outside_the_api() -> None:
    client = Client(raise_request_exception=False)
    _assert_page(client.get("/plain/crash"), 500, "Something went wrong on the server")
    _assert_page(client.get("/plain/missing"), 404, "Not found")
    _assert_page(client.get("/plain/forbidden"), 403, "Not allowed")


@override_settings(ROOT_URLCONF=__name__)
def test_it_answers_json_outside_the_api_when_json_is_asked_for() -> None:
    _assert_shape(Client().get("/plain/missing", HTTP_ACCEPT="application/json"), 404, "not_found")


def test_it_says_so_from_a_template_when_the_browser_app_is_not_built(settings, tmp_path) -> None:
    settings.FRONTEND_INDEX = tmp_path / "missing" / "index.html"
    _assert_page(Client().get("/sessions/abc"), 503, "has not been built yet")
