"""The warm pool on the real bubblewrap backend: a pre-started sandbox gives a run the
status, accounting, limits and isolation a cold one would, serves exactly one run, and
leaves nothing behind, used or not."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
import threading
import time

import pytest

from coding import runner
from coding.sandbox import get_backend, reset_backends
from coding.sandbox.base import Status
from coding.sandbox.bubblewrap import BubblewrapBackend
from coding.sandbox.cgroups import RunCgroup
from coding.sandbox.warm_step import WarmStep
from tests.coding.sandbox_support import (
    FORK_BOMB,
    RunTracker,
    alive,
    assert_only_idle_warm_sandboxes,
    forked,
    processes_mentioning,
    quick_limits,
    template,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]
MB = 1024 * 1024


def backend() -> BubblewrapBackend:
    instance = get_backend("bubblewrap")
    assert isinstance(instance, BubblewrapBackend)
    return instance


async def run_python(source: str, **limits: object) -> runner.RunResult:
    return await runner.run_batch(language="python", files=[("main.py", source)],
                                  limits=quick_limits(**limits))


async def warm_and_cold(settings: object, source: str, **limits: object) -> tuple[runner.RunResult, ...]:
    """The same program through a warm sandbox, then a cold one."""
    warm = await run_python(source, **limits)
    settings.SANDBOX_WARM_POOL = 0  # type: ignore[attr-defined]
    cold = await run_python(source, **limits)
    return warm, cold


async def test_it_stops_a_memory_bomb_in_a_warm_sandbox_as_in_a_cold_one(
    bwrap: RunTracker, settings: object
) -> None:
    source = "blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))\n"
    # 96 MB, not the 256 MB the warm sandbox was made with: the claim writes the run's.
    results = await warm_and_cold(settings, source, memory_bytes=96 * MB)
    assert bwrap.pooled == [True, False]
    for result in results:
        assert result.status == Status.MEMORY_LIMIT, result
        assert 64 * 1024 <= result.peak_memory_kb <= 100 * 1024, result
    bwrap.assert_nothing_left()


async def test_it_contains_a_fork_bomb_in_a_warm_sandbox_as_in_a_cold_one(
    bwrap: RunTracker, settings: object
) -> None:
    results = await warm_and_cold(settings, FORK_BOMB, wall_seconds=2.0, max_processes=24)
    assert bwrap.pooled == [True, False]
    counts = [forked(result) for result in results]
    for result in results:
        assert result.status == Status.TIMEOUT, result
    # bwrap, its init and the program count in both, the launcher is the program.
    assert counts[0] == counts[1] and 24 - 8 <= counts[0] <= 24 - 3, counts
    bwrap.assert_nothing_left()


BURN_MS = 600
BURNER = (
    "import sys, time\n"
    "sys.stdin.read(1)\n"  # moved into the cgroup first, then told to start
    f"end = time.process_time() + {BURN_MS / 1000}\n"
    "while time.process_time() < end:\n    pass\n"
)


def burn_in(cgroup: RunCgroup) -> int:
    """Spend BURN_MS of CPU inside ``cgroup`` (as a sandbox's start-up would, only more);
    returns what its CPU counter gained."""
    before = cgroup.stats().cpu_ms or 0
    burner = subprocess.Popen([sys.executable, "-c", BURNER], stdin=subprocess.PIPE)
    try:
        key = "unified" if cgroup.mode == "v2" else "cpuacct"
        (cgroup.dirs[key] / "cgroup.procs").write_text(str(burner.pid))
        assert burner.stdin is not None
        burner.stdin.write(b"go")
        burner.stdin.close()
        assert burner.wait(120) == 0
    finally:
        burner.kill()
    return (cgroup.stats().cpu_ms or 0) - before


async def test_it_reports_only_the_programs_cpu_time_and_memory(
    bwrap: RunTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sandbox's own start-up is charged to its cgroup before the claim and must not
    # be reported as the program's. It costs a few ms, as much as an interpreter's exit,
    # so make it big enough to see on any machine: CPU time spent in the warm sandbox's
    # cgroup just before the claim. CPU time is what load cannot move (a busy machine
    # makes the burn slower, not bigger), so the bounds below hold on any machine; how
    # close the figure is to the program's own is the benchmark's to measure.
    burnt: list[int] = []
    restart = RunCgroup.restart_accounting

    def burn_then_restart(cgroup: RunCgroup) -> None:
        burnt.append(burn_in(cgroup))
        restart(cgroup)

    monkeypatch.setattr(RunCgroup, "restart_accounting", burn_then_restart)
    source = (
        "import resource, time\n"
        "data = bytearray(64 * 1024 * 1024)\n"
        "end = time.process_time() + 0.3\n"
        "while time.process_time() < end:\n    pass\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(int((usage.ru_utime + usage.ru_stime) * 1000))\n"
    )
    result = await run_python(source)
    assert bwrap.pooled == [True]
    assert result.status == Status.OK, result
    cpu_ms = int(result.stdout)
    assert len(burnt) == 1 and burnt[0] >= BURN_MS - 10, burnt  # the cgroup counted the burn
    # All of the program's own CPU time, none of what its cgroup spent before the claim.
    assert cpu_ms <= result.cpu_ms < cpu_ms + BURN_MS // 2, (cpu_ms, burnt, result)
    assert 64 * 1024 <= result.peak_memory_kb <= 80 * 1024, result
    bwrap.assert_nothing_left()


async def test_it_never_gives_two_runs_one_sandbox(bwrap: RunTracker) -> None:
    tokens = [secrets.token_hex(4) for _ in range(6)]
    source = "import os\nprint(open('main.py').read().split()[-1], os.getpid())\n# {}\n"
    results = await asyncio.gather(*(run_python(source.format(token)) for token in tokens))
    for token, result in zip(tokens, results, strict=True):
        assert result.status == Status.OK, result
        assert result.stdout.split()[0].decode() == token  # its own files, nobody else's
        assert result.stdout.split()[1] == b"2"  # alone in its pid namespace
    steps = [step for step in bwrap.steps if isinstance(step, WarmStep)]
    assert len(steps) >= 2
    assert len({id(step) for step in steps}) == len({step.init_pid for step in steps}) == len(steps)
    assert None not in {step.init_pid for step in steps}
    assert len({step.cgroup.unique_dirs[0] for step in steps if step.cgroup}) == len(steps)
    bwrap.assert_nothing_left()


async def test_it_serves_claims_from_several_event_loops_at_once(bwrap: RunTracker) -> None:
    results: list[runner.RunResult] = []

    def run_in_own_loop() -> None:
        results.append(asyncio.run(run_python("print('hi')\n")))

    threads = [threading.Thread(target=run_in_own_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join, 60)
    assert [result.status for result in results] == [Status.OK] * 4, results
    assert len({id(step) for step in bwrap.steps}) == 4
    assert len({step.cgroup.unique_dirs[0] for step in bwrap.steps if step.cgroup}) == 4  # type: ignore[attr-defined]
    assert any(bwrap.pooled)
    bwrap.assert_nothing_left()


async def test_it_shows_a_warm_sandbox_nothing_of_the_run_before(bwrap: RunTracker) -> None:
    tag = secrets.token_hex(6)
    first = await run_python(
        "import os\n"
        "for d in ('/work', '/tmp', '/dev/shm'):\n    open(os.path.join(d, 'secret'), 'w').write('x')\n"
        "if os.fork() == 0:\n    os.setsid()\n"
        f"    os.execv('/usr/bin/sleep', ['sleep-{tag}', '600'])\n"
        "print('planted')\n"
    )
    assert first.stdout == b"planted\n", first
    second = await run_python(
        "import os\n"
        "print(sorted(os.listdir('/work')), os.listdir('/tmp'), os.listdir('/dev/shm'),"
        " sorted(p for p in os.listdir('/proc') if p.isdigit()))\n"
    )
    assert bwrap.pooled == [True, True]
    assert second.stdout == b"['main.py'] [] [] ['1', '2']\n", second
    assert processes_mentioning(f"sleep-{tag}") == []
    bwrap.assert_nothing_left()


async def test_it_destroys_idle_sandboxes_that_expire_and_refills_only_on_demand(
    bwrap: RunTracker, settings: object
) -> None:
    pool = backend().pool
    pool.drain()
    settings.SANDBOX_WARM_POOL_IDLE_SECONDS = 0.5  # type: ignore[attr-defined]
    await asyncio.to_thread(pool.fill, template())
    with pool.quiesced() as (idle, _doomed):
        made = [(step.pid, step.init_pid, step.cgroup.unique_dirs if step.cgroup else []) for step in idle]
    assert len(made) == pool.size()
    deadline = time.monotonic() + 10
    while any(alive(pid) or alive(init) or any(d.exists() for d in dirs) for pid, init, dirs in made):
        assert time.monotonic() < deadline, "expired sandboxes were not destroyed"
        await asyncio.sleep(0.05)
    with pool.quiesced() as (idle, _doomed):
        assert idle == []  # nobody asked: not replaced
    assert_only_idle_warm_sandboxes(backend())  # so nothing at all is left
    result = await run_python("print('hi')\n")  # asked again: cold now, warm again after
    assert result.status == Status.OK and bwrap.pooled == [False]
    assert await asyncio.to_thread(pool.fill, template()) == pool.size()
    bwrap.assert_nothing_left()


async def test_it_keeps_a_warm_sandbox_for_runs_it_cannot_serve_and_learns(bwrap: RunTracker) -> None:
    # More CPU seconds than the sandboxes were made with: a launcher cannot raise an
    # rlimit, so this run starts cold; the pool then makes sandboxes that can.
    more = await run_python("import resource\nprint(resource.getrlimit(resource.RLIMIT_CPU))\n",
                            cpu_seconds=9.0)
    assert more.stdout == b"(9, 10)\n" and bwrap.pooled == [False]
    await asyncio.to_thread(backend().pool.fill, template())
    again = await run_python("import resource\nprint(resource.getrlimit(resource.RLIMIT_CPU))\n",
                             cpu_seconds=9.0)
    normal = await run_python("import resource\nprint(resource.getrlimit(resource.RLIMIT_CPU))\n")
    assert (again.stdout, normal.stdout) == (b"(9, 10)\n", b"(2, 3)\n")
    assert bwrap.pooled == [False, True, True]
    bwrap.assert_nothing_left()


async def test_it_runs_everything_cold_without_the_launcher(bwrap: RunTracker, settings: object) -> None:
    settings.SANDBOX_LAUNCHER = "/nonexistent/observer-launcher"  # type: ignore[attr-defined]
    reset_backends()
    try:
        assert "warm pool off: no usable launcher" in runner.backend_status()["message"]
        tracker = RunTracker()
        with pytest.MonkeyPatch.context() as patch:
            tracker.install(backend(), patch)
            result = await run_python("print('hi')\n")
            assert result.status == Status.OK and result.stdout == b"hi\n", result
            assert tracker.pooled == [False]
            tracker.assert_nothing_left()
    finally:
        reset_backends()
