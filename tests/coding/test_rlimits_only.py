"""bubblewrap without cgroups (``SANDBOX_CGROUP = "none"``): the rlimits-only fallback
of a server that can write neither cgroup v1 nor a delegated v2 subtree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coding import runner
from coding.sandbox import get_backend, reset_backends
from coding.sandbox.base import Status
from tests.coding.conftest import FAST_COMPILE
from tests.coding.sandbox_support import (
    FORK_BOMB,
    Canary,
    RunTracker,
    assert_unharmed,
    forked,
    quick_limits,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(60)]
MB = 1024 * 1024


@pytest.fixture
def rlimits_only(settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunTracker]:
    settings.SANDBOX_BACKEND = "bubblewrap"  # type: ignore[attr-defined]
    settings.SANDBOX_CGROUP = "none"  # type: ignore[attr-defined]
    settings.SANDBOX_COMPILE_LIMITS = FAST_COMPILE  # type: ignore[attr-defined]
    reset_backends()
    tracker = RunTracker()
    tracker.install(get_backend("bubblewrap"), monkeypatch)
    try:
        yield tracker
    finally:
        reset_backends()  # the next test gets a backend with its cgroups again


def test_it_says_the_limits_are_rlimits_only(rlimits_only: RunTracker) -> None:
    status = runner.backend_status()
    assert (status["backend"], status["available"], status["cgroup_mode"]) == ("bubblewrap", True, "none")
    assert "rlimits only" in str(status["message"])


async def test_it_stops_a_python_memory_bomb_at_the_address_space_limit(
    rlimits_only: RunTracker, canary: Canary
) -> None:
    source = "blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))\n"
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits(memory_bytes=96 * MB))
    assert result.status == Status.MEMORY_LIMIT, result
    assert result.stderr.rstrip().endswith(b"MemoryError")
    assert all(getattr(step, "cgroup", None) is None for step in rlimits_only.steps)
    await assert_unharmed(rlimits_only, canary)


async def test_it_ends_a_fork_bomb_by_the_wall_clock_with_the_nproc_backstop(
    rlimits_only: RunTracker, canary: Canary
) -> None:
    limits = quick_limits(wall_seconds=2.0, max_processes=32)
    result = await runner.run_batch(language="python", files=[("main.py", FORK_BOMB)], limits=limits)
    assert result.status == Status.TIMEOUT, result
    # RLIMIT_NPROC (which binds the sandbox because it never runs as root) counts every
    # process of its uid on the machine: only a backstop.
    assert 0 < forked(result) <= limits.max_processes * 8, result.stdout
    await assert_unharmed(rlimits_only, canary)


async def test_it_stops_an_infinite_loop_by_rlimit_cpu(rlimits_only: RunTracker, canary: Canary) -> None:
    result = await runner.run_batch(language="python", files=[("main.py", "while True:\n    pass\n")],
                                    limits=quick_limits(cpu_seconds=1.0))
    assert result.status == Status.TIMEOUT, result
    assert "CPU time limit" in result.message
    await assert_unharmed(rlimits_only, canary)


async def test_it_bounds_only_the_managed_heap_of_node(rlimits_only: RunTracker) -> None:
    heap = "const a = []; while (true) a.push(new Array(1e6).fill(1.5));\n"
    result = await runner.run_batch(language="javascript", files=[("main.js", heap)])
    assert result.status == Status.MEMORY_LIMIT, result
    # Buffers live outside V8's heap and Node gets no RLIMIT_AS (V8 reserves address
    # space up front): without cgroups nothing stops them (docs/sandbox.md says so).
    buffers = ("const b = []; for (let i = 0; i < 32; i++) b.push(Buffer.alloc(10 * 1024 * 1024, 1));\n"
               "console.log(b.length * 10);\n")
    limits = runner.default_limits("javascript").replace(memory_bytes=256 * MB)
    result = await runner.run_batch(language="javascript", files=[("main.js", buffers)], limits=limits)
    assert (result.status, result.stdout) == (Status.OK, b"320\n"), result
