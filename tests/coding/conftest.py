"""Fixtures for the sandbox suites (none of them autouse: other suites in this folder
run with whatever backend the settings choose)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from coding.sandbox import get_backend
from coding.sandbox.base import Backend
from tests.coding.sandbox_support import Canary, RunTracker

FAST_COMPILE = {
    "wall_seconds": 20.0,
    "cpu_seconds": 10.0,
    "memory_bytes": 256 * 1024 * 1024,
}


@pytest.fixture
def bwrap(settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunTracker]:
    """Runs go to the real bubblewrap backend; yields a tracker of what they started."""
    settings.SANDBOX_BACKEND = "bubblewrap"  # type: ignore[attr-defined]
    settings.SANDBOX_COMPILE_LIMITS = FAST_COMPILE  # type: ignore[attr-defined]
    backend: Backend = get_backend("bubblewrap")
    tracker = RunTracker()
    tracker.install(backend, monkeypatch)
    yield tracker


@pytest.fixture
def fake_sandbox(settings: object) -> None:
    settings.SANDBOX_BACKEND = "fake"  # type: ignore[attr-defined]


@pytest.fixture
def canary() -> Iterator[Canary]:
    planted = Canary.plant(Path(django_settings.BASE_DIR))
    try:
        yield planted
    finally:
        planted.remove()
