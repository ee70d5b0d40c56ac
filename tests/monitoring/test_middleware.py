"""HTTP latency by view (monitoring.middleware.RequestLatencyMiddleware)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from monitoring.models import ErrorEvent
from monitoring.views import metrics_view
from tests.monitoring.conftest import parse, scrape_text, value

pytestmark = pytest.mark.django_db

# Installed first in settings; the override keeps these tests honest if that ever changes.
WITH_LATENCY = ["monitoring.middleware.RequestLatencyMiddleware"] + [
    name for name in settings.MIDDLEWARE if name != "monitoring.middleware.RequestLatencyMiddleware"
]


def test_it_is_installed_first_so_it_times_the_whole_request() -> None:
    assert settings.MIDDLEWARE[0] == "monitoring.middleware.RequestLatencyMiddleware"
NAME = "observer_http_request_duration_seconds_count"


@override_settings(MIDDLEWARE=WITH_LATENCY)
def test_it_times_requests_by_view_name_method_and_status() -> None:
    before = parse(scrape_text())
    Client().get("/health")
    Client().get("/health")
    Client().get("/api/monitoring/figures")  # anonymous: 401
    Client().get("/api/no-such-thing/")
    after = parse(scrape_text())

    def delta(**labels: str) -> float:
        return value(after, NAME, **labels) - value(before, NAME, **labels)

    assert delta(view="health", method="GET", status="200") == 2
    assert delta(view="monitoring-figures", method="GET", status="401") == 1
    # The raw path never becomes a label: unknown API paths share one.
    assert not any("no-such-thing" in str(labels) for _name, labels in after)


@override_settings(MIDDLEWARE=WITH_LATENCY)
async def test_it_times_requests_served_by_the_async_handler() -> None:
    from asgiref.sync import sync_to_async

    before = await sync_to_async(lambda: parse(scrape_text()))()
    response = await AsyncClient().get("/health")
    assert response.status_code == 200
    after = await sync_to_async(lambda: parse(scrape_text()))()
    labels = {"view": "health", "method": "GET", "status": "200"}
    assert value(after, NAME, **labels) - value(before, NAME, **labels) == 1


def _broken_view(request: object) -> None:
    raise RuntimeError("the template exploded")


urlpatterns = [path("broken", _broken_view, name="broken"), path("metrics", metrics_view)]


@override_settings(MIDDLEWARE=WITH_LATENCY, ROOT_URLCONF=__name__)
def test_it_records_a_view_crash_for_the_error_list_and_times_it_as_500() -> None:
    before = parse(scrape_text())
    response = Client(raise_request_exception=False).get("/broken")
    assert response.status_code == 500
    error = ErrorEvent.objects.get(source="http")
    assert (error.kind, error.message, error.path) == ("RuntimeError", "the template exploded", "/broken")
    after = parse(scrape_text())
    labels = {"view": "broken", "method": "GET", "status": "500"}
    assert value(after, NAME, **labels) - value(before, NAME, **labels) == 1
