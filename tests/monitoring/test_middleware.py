"""HTTP latency by view (monitoring.middleware.RequestLatencyMiddleware)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import AsyncClient, Client, override_settings

from tests.monitoring.conftest import parse, scrape_text, value

pytestmark = pytest.mark.django_db

WITH_LATENCY = ["monitoring.middleware.RequestLatencyMiddleware", *settings.MIDDLEWARE]
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
