"""The sandbox suites' own fixtures: what they check holds whatever else runs on the
machine, such as ``./scripts/run`` serving from this same checkout."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from coding import runner
from coding.sandbox.base import Status
from tests.coding.sandbox_support import RunTracker

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]
CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server_from_the_checkout() -> Iterator[Path]:
    """A server running from the checkout writes there while the test runs (SQLite's
    db.sqlite3-wal and -shm); it goes only after the podman fixture's own checks."""
    written = CHECKOUT / f".test-{os.getpid()}-db.sqlite3-wal"
    yield written
    written.unlink(missing_ok=True)


async def test_the_podman_fixture_ignores_what_a_server_writes_into_the_checkout(
    server_from_the_checkout: Path, podman: RunTracker
) -> None:
    result = await runner.run_batch(language="python", files=[("main.py", "print('hi')\n")])
    server_from_the_checkout.write_bytes(b"")  # meanwhile, the server's SQLite journal
    assert result.status == Status.OK and result.stdout == b"hi\n", result
    podman.assert_nothing_left()
