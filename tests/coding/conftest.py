"""Fixtures for the sandbox suites (none of them autouse: other suites in this folder
run with whatever backend the settings choose)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from coding.sandbox import get_backend
from coding.sandbox.bubblewrap import BubblewrapBackend
from coding.sandbox.podman import PodmanBackend, podman_env
from tests.coding.sandbox_support import (
    Canary,
    RunTracker,
    assert_drained_and_clean,
    note_earlier_sandboxes,
    template,
)

FAST_COMPILE = {
    "wall_seconds": 20.0,
    "cpu_seconds": 10.0,
    "memory_bytes": 256 * 1024 * 1024,
}


@pytest.fixture
def bwrap(settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunTracker]:
    """Runs go to the real bubblewrap backend, whose warm pool already holds Python
    sandboxes (pipes and terminal: the default path of a Python run); yields a tracker of
    what they started. Afterwards the pool is drained and nothing may be left."""
    settings.SANDBOX_BACKEND = "bubblewrap"  # type: ignore[attr-defined]
    settings.SANDBOX_COMPILE_LIMITS = FAST_COMPILE  # type: ignore[attr-defined]
    backend = get_backend("bubblewrap")
    assert isinstance(backend, BubblewrapBackend)
    note_earlier_sandboxes()
    for tty in (False, True):
        assert backend.pool.fill(template(tty=tty)) == backend.pool.size() > 0, backend.pool.describe()
    tracker = RunTracker()
    tracker.install(backend, monkeypatch)
    yield tracker
    assert_drained_and_clean(backend)


def podman_containers() -> list[str]:
    listing = subprocess.run(["podman", "ps", "-a", "--format", "{{.Names}}"], env=podman_env(),
                             capture_output=True, check=True)
    return listing.stdout.decode().split()


@pytest.fixture
def podman(settings: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunTracker]:
    """Runs go to the real podman backend (needs ``sh deploy/podman/setup.sh``); no
    container of ours may be left when the test ends, nor anything in the server's
    working directory (a directory of the test's own: the checkout's may change under a
    server running from it, e.g. SQLite's db.sqlite3-wal)."""
    settings.SANDBOX_BACKEND = "podman"  # type: ignore[attr-defined]
    settings.SANDBOX_COMPILE_LIMITS = FAST_COMPILE  # type: ignore[attr-defined]
    backend = get_backend("podman")
    assert isinstance(backend, PodmanBackend)
    tracker = RunTracker()
    tracker.install(backend, monkeypatch)
    server_dir = tmp_path / "server-cwd"
    server_dir.mkdir()
    monkeypatch.chdir(server_dir)
    yield tracker
    left = [name for name in podman_containers() if name.startswith(f"observer-run-{os.getpid()}-")]
    assert left == [], "container left"
    # conmon writes its markers (an `oom` file after a kernel kill) into podman's working
    # directory: that must be the run's own, never the server's.
    assert os.listdir(server_dir) == [], "a podman run wrote into the server's directory"


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
