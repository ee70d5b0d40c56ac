"""/ws/monitoring/: admins get live figures pushed on connect, on run events and on a tick."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from accounts.middleware import POLICY_VIOLATION, TokenAuthMiddleware
from coding import signals as coding_signals
from monitoring.routing import websocket_urlpatterns
from tests.factories import AdminFactory, UserFactory
from tests.live_factories import token_for
from tests.monitoring.conftest import make_run

pytestmark = pytest.mark.django_db(transaction=True)

app = TokenAuthMiddleware(URLRouter(websocket_urlpatterns))


async def connect(principal: Any) -> tuple[WebsocketCommunicator, Any]:
    token = await database_sync_to_async(token_for)(principal)
    communicator = WebsocketCommunicator(app, "/ws/monitoring/", subprotocols=["observer", f"bearer.{token}"])
    connected, subprotocol = await communicator.connect()
    assert connected and subprotocol == "observer"
    return communicator, await communicator.receive_json_from(timeout=5)


async def next_figures(communicator: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == "figures":
            return dict(frame)


async def test_it_refuses_a_connection_without_a_token() -> None:
    communicator = WebsocketCommunicator(app, "/ws/monitoring/")
    assert await communicator.connect() == (False, POLICY_VIOLATION)


async def test_it_closes_with_forbidden_for_non_admins() -> None:
    for factory in (UserFactory, lambda: UserFactory(role="teacher")):
        user = await database_sync_to_async(factory)()
        token = await database_sync_to_async(token_for)(user)
        communicator = WebsocketCommunicator(app, "/ws/monitoring/", subprotocols=["observer", f"bearer.{token}"])
        connected, _ = await communicator.connect()
        assert connected  # accepted only so that the browser sees why
        assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4403}


async def test_it_pushes_figures_on_connect_and_after_a_run_ends() -> None:
    admin = await database_sync_to_async(AdminFactory)()
    communicator, first = await connect(admin)
    assert first["type"] == "figures"
    assert first["runs"] == 0 and first["active_runs"] == 0
    assert first["connections"]["by_kind"].get("monitoring") == 1

    run = await database_sync_to_async(make_run)(status="running")
    coding_signals.run_started.send(sender=None, execution=run)
    started = await next_figures(communicator)
    assert started["active_runs"] == 1

    run.status, run.wall_ms = "ok", 250
    await database_sync_to_async(run.save)()
    await coding_signals.run_finished.asend(sender=None, execution=run)  # from a worker thread this time
    finished = await next_figures(communicator)
    assert (finished["active_runs"], finished["runs_ok"], finished["avg_wall_ms"]) == (0, 1, 250)
    await communicator.disconnect()


async def test_it_coalesces_a_burst_of_events_into_few_pushes() -> None:
    admin = await database_sync_to_async(AdminFactory)()
    communicator, _ = await connect(admin)
    for _ in range(20):
        run = await database_sync_to_async(make_run)(status="ok")
        coding_signals.run_finished.send(sender=None, execution=run)
    figures = await next_figures(communicator)
    pushes = 1
    while figures["runs"] < 20:
        figures = await next_figures(communicator)
        pushes += 1
    assert pushes <= 3
    await communicator.disconnect()


@override_settings(MONITORING_DASHBOARD_TICK_SECONDS=0.2)
async def test_it_pushes_on_a_slow_tick_when_nothing_happens() -> None:
    admin = await database_sync_to_async(AdminFactory)()
    communicator, first = await connect(admin)
    second = await next_figures(communicator, timeout=2)
    assert second["at"] > first["at"]
    await communicator.disconnect()


async def test_it_answers_a_refresh_and_rejects_other_messages() -> None:
    admin = await database_sync_to_async(AdminFactory)()
    communicator, _ = await connect(admin)
    await communicator.send_json_to({"type": "refresh"})
    assert (await communicator.receive_json_from(timeout=2))["type"] == "figures"
    await communicator.send_json_to({"type": "drop tables"})
    error = await communicator.receive_json_from(timeout=2)
    assert (error["type"], error["code"]) == ("error", "invalid")
    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from(timeout=2))["code"] == "invalid"
    await communicator.disconnect()


async def test_it_counts_dashboards_as_monitoring_connections_until_they_close() -> None:
    from monitoring.connections import local_counts

    admin = await database_sync_to_async(AdminFactory)()
    one, _ = await connect(admin)
    two, _ = await connect(admin)
    assert local_counts() == {"monitoring": 2}
    await one.disconnect()
    await two.disconnect()
    await asyncio.sleep(0)
    assert local_counts() == {}
