"""The podman backend's run cgroup on cgroup v2 (current VPS distributions).

These machines are cgroup v1 (plus a cgroup2 mount without controllers), so the v2
path runs against a directory laid out like a delegated cgroup2 subtree, as in
test_cgroups.py: what podman is told, what is written, and how the numbers podman
leaves behind are read. A real podman on a v2 host is not exercised here.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from coding.languages import get_language
from coding.sandbox import cgroup_detect, cgroups
from coding.sandbox.base import Limits, SourceFile, Status, StepOutcome, StepSpec
from coding.sandbox.classify import classify
from coding.sandbox.podman import _CONMON_SLACK, PodmanBackend, PodmanStep, account
from coding.sandbox.spawn import SpawnPlan
from tests.coding.sandbox_support import fake_v2_tree

MB = 1024 * 1024
LIMITS = Limits(memory_bytes=64 * MB, max_processes=32, cpu_seconds=1.0)
SERVICE = "/system.slice/observer.service"


@pytest.fixture
def v2_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PodmanBackend:
    fake_v2_tree(tmp_path)
    # A plain directory has none of cgroupfs's files: writing creates them.
    monkeypatch.setattr(cgroups, "_write", lambda path, value: path.write_text(value))
    backend = PodmanBackend()
    backend._cgroups = cgroup_detect.setup_v2(tmp_path, SERVICE, "observer-sandbox", "", 0.0)
    return backend


def spec() -> StepSpec:
    return StepSpec(argv=("/usr/bin/python3", "main.py"), files=(SourceFile("main.py", b""),),
                    limits=LIMITS)


def test_it_puts_the_container_under_a_run_cgroup_that_delegates_its_controllers(
    v2_backend: PodmanBackend, tmp_path: Path
) -> None:
    group, relative = v2_backend.run_cgroup(spec())
    assert group is not None and group.mode == "v2" and group.nested
    directory = group.dirs["unified"]
    assert relative == f"{SERVICE}/observer-sandbox/{directory.name}"
    assert (directory / "memory.max").read_text() == str(64 * MB + _CONMON_SLACK)
    assert (directory / "memory.swap.max").read_text() == "0"
    assert (directory / "pids.max").read_text() == "32"
    # conmon and the container's cgroup go below ours, which stays empty.
    assert (directory / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert not (directory / "cpu.max").exists()  # podman's --cpus sets the quota
    argv = v2_backend.build_argv(spec(), name="observer-run-1-1-abc", src_dir=str(tmp_path),
                                 cgroup_parent=relative)
    assert argv[argv.index("--cgroup-parent") + 1] == relative


def test_it_reads_the_containers_oom_kill_from_the_hierarchical_v2_events() -> None:
    killed = StepOutcome(exit_code=None, signal=signal.SIGKILL, wall_ms=300, cpu_ms=2, peak_memory_kb=9)
    # v2: the container's cgroup (removed by --rm) counted its OOM kill in ours too,
    # even when the peak we saw stayed below the program's limit.
    stats = cgroups.CgroupStats(peak_memory_kb=40 * 1024, cpu_ms=250, oom_killed=True)
    v2 = account(killed, stats, mode="v2", memory_limit=64 * MB, killed_by_us=False)
    assert (v2.oom_killed, v2.cpu_ms, v2.peak_memory_kb) == (True, 250, 40 * 1024)
    status = classify(v2, None, LIMITS, get_language("python"), b"")[0]
    assert status == Status.MEMORY_LIMIT
    # v1's oom_control is not hierarchical: only the usage at the limit tells.
    assert not account(killed, stats, mode="v1", memory_limit=64 * MB, killed_by_us=False).oom_killed
    full = cgroups.CgroupStats(peak_memory_kb=64 * 1024 + 900, cpu_ms=250)
    v1 = account(killed, full, mode="v1", memory_limit=64 * MB, killed_by_us=False)
    assert v1.oom_killed and v1.peak_memory_kb == 64 * 1024
    # A SIGKILL of ours (stop, timeout) is never an OOM kill.
    assert not account(killed, full, mode="v1", memory_limit=64 * MB, killed_by_us=True).oom_killed


async def test_it_finds_the_containers_processes_and_watches_their_total_cpu(
    v2_backend: PodmanBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group, relative = v2_backend.run_cgroup(spec())
    assert group is not None
    directory = group.dirs["unified"]
    for child, procs in (("conmon", "100\n"), ("libpod-abc", "200\n201\n")):
        (directory / child).mkdir()
        (directory / child / "cgroup.procs").write_text(procs)
    (directory / "cgroup.procs").write_text("")
    step = PodmanStep(SpawnPlan(argv=["podman"], limits=LIMITS), backend=v2_backend,
                      name="observer-run-1-1-abc", host_dir=str(tmp_path), run_cgroup=group,
                      relative_cgroup=relative, memory_limit=LIMITS.memory_bytes)
    assert step.container_pids() == {200, 201}  # not conmon
    assert step.watch_cgroup is group
    kills: list[bool] = []
    monkeypatch.setattr(step, "kill", lambda: kills.append(True))
    (directory / "cpu.stat").write_text("usage_usec 1500000\nuser_usec 1400000\n")
    await asyncio.wait_for(step._watch_cpu(), 2)
    assert step.cpu_exceeded and kills == [True]
