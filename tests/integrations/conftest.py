"""Fixtures for the integration APIs: keys of each scope and clients that send them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connections
from rest_framework.test import APIClient

from coding import limits
from integrations import background, keys


@pytest.fixture(autouse=True)
def _fake_sandbox(settings: Any) -> None:
    """Runs go to the fake backend (deterministic; the real sandbox is tested in coding's
    suites and by the Judge0 client suite against a live server)."""
    settings.SANDBOX_BACKEND = "fake"
    settings.RUN_LIMITS = {"runs_per_window": 50, "max_concurrent": 2, "queue_poll_seconds": 0.05}
    limits._slots = None


@pytest.fixture
def make_key(teacher: Any) -> Callable[..., keys.IssuedKey]:
    def make(*scopes: str, owner: Any = None, **fields: Any) -> keys.IssuedKey:
        return keys.key_create(owner=owner or teacher, actor=owner or teacher, name="test key",
                               scopes=list(scopes or ("execute", "read")), **fields)

    return make


@pytest.fixture
def key_client() -> Callable[..., APIClient]:
    def make(secret: str, header: str = "X-API-Key") -> APIClient:
        client = APIClient()
        if header == "Bearer":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        else:
            client.credentials(**{f"HTTP_{header.upper().replace('-', '_')}": secret})
        return client

    return make


@pytest.fixture(autouse=True)
async def _close_the_database_thread(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Runs in the background write from the run service's database thread, which keeps
    its connection (CONN_MAX_AGE): close it at the end, or PostgreSQL's test database
    cannot be dropped. Background runs of the test are let finish first."""
    yield
    if request.node.get_closest_marker("django_db") is None:
        return  # a test without the database
    for _ in range(200):
        if not background.pending():
            break
        await asyncio.sleep(0.05)
    await database_sync_to_async(connections.close_all)()
