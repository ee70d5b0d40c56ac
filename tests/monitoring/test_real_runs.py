"""Through the real terminal (fake sandbox backend): metrics, the dashboard and
/api/me/limits follow what enforcement and the runner actually did."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from tests import live_support
from tests.factories import AdminFactory
from tests.live_factories import token_for
from tests.live_support import Classroom, next_json, open_socket
from tests.monitoring.conftest import parse, scrape_text, value

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fake_sandbox(settings: Any) -> None:
    settings.SANDBOX_BACKEND = "fake"
    settings.RUN_LIMITS = {"runs_per_window": 3, "window_seconds": 600, "max_concurrent": 4}


async def run_once(terminal: Any) -> dict[str, Any]:
    """Start a run and return the frame that answered it: its exit, or an error."""
    await terminal.send_to(text_data=json.dumps({"type": "run", "entry": "main.py"}))
    while True:
        frame = await next_json(terminal, timeout=5)
        if frame["type"] in ("exit", "error"):
            return frame


async def my_limits(principal: Any) -> dict[str, Any]:
    def get() -> dict[str, Any]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(principal)}")
        response = client.get("/api/me/limits")
        assert response.status_code == 200, response.content
        return dict(response.json())

    return await database_sync_to_async(get)()


async def test_it_counts_a_real_run_in_the_metrics(app: object, classroom: Classroom) -> None:
    scrape = sync_to_async(lambda: parse(scrape_text()))
    before = await scrape()
    terminal = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    assert (await run_once(terminal))["status"] == "ok"
    await terminal.disconnect()
    after = await scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("observer_runs_started_total", language="python") == 1
    assert delta("observer_runs_finished_total", language="python", status="ok") == 1
    assert delta("observer_run_duration_seconds_count", language="python") == 1
    assert delta("observer_run_queue_wait_seconds_count", language="python") == 1
    assert delta("observer_websocket_connections_opened_total", kind="terminal") == 1


async def test_it_counts_real_rate_limit_refusals_in_the_metrics(app: object, classroom: Classroom) -> None:
    scrape = sync_to_async(lambda: parse(scrape_text()))
    terminal = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    for _ in range(3):  # the window's allowance (RUN_LIMITS above)
        assert (await run_once(terminal))["type"] == "exit"
    before = await scrape()
    for _ in range(2):
        refused = await run_once(terminal)
        assert refused["code"] == "rate_limited"
    await terminal.disconnect()
    after = await scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("observer_runs_rejected_total", language="python", reason="rate") == 2
    assert delta("observer_rate_limited_total", scope="run", limit="runs_per_window") == 2
    assert delta("observer_runs_started_total", language="python") == 0
    assert delta("observer_runs_finished_total", language="python", status="ok") == 0


async def test_it_updates_an_open_dashboard_when_a_student_runs(app: object, classroom: Classroom) -> None:
    admin = await database_sync_to_async(AdminFactory)(password=None)
    dashboard = await open_socket(app, "/ws/monitoring/", admin)
    first = await next_json(dashboard, "figures")
    assert first["runs"] == 0

    terminal = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    assert (await run_once(terminal))["status"] == "ok"

    figures = await next_json(dashboard, "figures", timeout=5)
    while figures["runs_ok"] < 1:
        figures = await next_json(dashboard, "figures", timeout=5)
    assert figures["runs"] == 1 and figures["active_runs"] == 0 and figures["success_rate"] == 1.0
    for comm in (terminal, dashboard):
        await comm.disconnect()


async def test_it_tells_a_student_the_limits_enforcement_applies(app: object, classroom: Classroom) -> None:
    fresh = await my_limits(classroom.student)
    assert (fresh["runs_per_window"], fresh["used"], fresh["remaining"]) == (3, 0, 3)
    assert fresh["window_seconds"] == 600 and fresh["concurrent"] == {"running": 0, "max": 1}

    terminal = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    for n in range(1, 4):
        assert (await run_once(terminal))["type"] == "exit"
        usage = await my_limits(classroom.student)
        assert (usage["used"], usage["remaining"]) == (n, 3 - n)

    refused = await run_once(terminal)
    assert refused["code"] == "rate_limited" and refused["retry_after"] >= 1
    after = await my_limits(classroom.student)
    assert (after["used"], after["remaining"]) == (3, 0)
    resets_in = (datetime.fromisoformat(after["resets_at"]) - datetime.now(UTC)).total_seconds()
    assert abs(resets_in - refused["retry_after"]) <= 2
    await terminal.disconnect()
    # The teacher's own count is untouched by the student's runs.
    assert (await my_limits(classroom.teacher))["used"] == 0
