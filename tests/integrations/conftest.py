"""Fixtures for the integration APIs: keys of each scope and clients that send them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from coding import limits
from integrations import keys


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
