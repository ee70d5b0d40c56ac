"""The cgroup layer: detection, and the files v1 and v2 runs write.

The v2 path cannot be mounted on these (v1) machines, so it runs against a directory
laid out like a delegated cgroup2 subtree and the test reads back what was written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coding.sandbox import cgroup_detect, cgroups
from coding.sandbox.base import Limits
from tests.coding.sandbox_support import fake_v2_tree

MOUNTINFO_HYBRID = """\
25 20 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
27 25 0:24 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
28 25 0:25 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
"""
MOUNTINFO_V2 = "30 25 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
LIMITS = Limits(memory_bytes=64 * 1024 * 1024, max_processes=32)


def test_it_parses_v1_controllers_including_comounted_ones() -> None:
    v1, v2 = cgroup_detect.parse_mountinfo(MOUNTINFO_HYBRID)
    assert v1 == {
        "memory": Path("/sys/fs/cgroup/memory"),
        "pids": Path("/sys/fs/cgroup/pids"),
        "cpu": Path("/sys/fs/cgroup/cpu,cpuacct"),
        "cpuacct": Path("/sys/fs/cgroup/cpu,cpuacct"),
    }
    assert v2 == Path("/sys/fs/cgroup/unified")
    assert cgroup_detect.parse_mountinfo(MOUNTINFO_V2) == ({}, Path("/sys/fs/cgroup"))
    assert cgroup_detect.own_v2_path("1:name=systemd:/x\n0::/system.slice/observer.service\n") == (
        "/system.slice/observer.service"
    )


def test_it_prepares_a_delegated_v2_subtree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = fake_v2_tree(tmp_path)
    monkeypatch.setattr(cgroups, "_write", lambda path, value: path.write_text(value))
    manager = cgroup_detect.setup_v2(tmp_path, "/system.slice/observer.service", "observer-sandbox", "", 1.0)
    assert manager.mode == "v2"
    assert (service / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    parent = service / "observer-sandbox"
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert manager.parents == {"unified": parent}


def test_it_writes_v2_limits_for_a_run_and_reads_its_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_v2_tree(tmp_path)
    # A plain directory has none of cgroupfs's files: writing creates them.
    monkeypatch.setattr(cgroups, "_write", lambda path, value: path.write_text(value))
    manager = cgroup_detect.setup_v2(tmp_path, "/system.slice/observer.service", "observer-sandbox", "", 0.5)
    group = manager.create(LIMITS)
    assert group is not None
    directory = group.dirs["unified"]
    assert directory.parent.name == "observer-sandbox"
    assert directory.name.startswith(f"run-{os.getpid()}-")
    assert (directory / "memory.max").read_text() == str(64 * 1024 * 1024)
    assert (directory / "memory.swap.max").read_text() == "0"
    assert (directory / "pids.max").read_text() == "32"
    assert (directory / "cpu.max").read_text() == "50000 100000"
    (directory / "memory.peak").write_text("1048576\n")
    (directory / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
    (directory / "cpu.stat").write_text("usage_usec 2500\nuser_usec 2000\n")
    assert group.stats() == cgroups.CgroupStats(peak_memory_kb=1024, cpu_ms=2, oom_killed=True,
                                                limit_hits=4)
    assert manager.relative_path(group) == (
        f"/system.slice/observer.service/observer-sandbox/{directory.name}"
    )
    # v2 kills through cgroup.kill in one write.
    group.kill_all()
    assert (directory / "cgroup.kill").read_text() == "1"


def test_it_moves_the_server_into_a_leaf_when_its_cgroup_has_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = fake_v2_tree(tmp_path, server_pids="4242\n")
    calls: list[tuple[str, str]] = []
    real_write = cgroups._write

    def write(path: Path, value: str) -> None:
        calls.append((str(path.relative_to(tmp_path)), value))
        # The kernel refuses controllers in a cgroup that still has processes.
        if path == service / "cgroup.subtree_control" and not (service / "server").exists():
            raise OSError(16, "Device or resource busy")
        real_write(path, value) if path.exists() else path.write_text(value)

    monkeypatch.setattr(cgroups, "_write", write)
    manager = cgroup_detect.setup_v2(tmp_path, "/system.slice/observer.service", "observer-sandbox", "", 1.0)
    assert manager.mode == "v2"
    assert ("system.slice/observer.service/server/cgroup.procs", "4242") in calls
    assert calls[-1] == ("system.slice/observer.service/observer-sandbox/cgroup.subtree_control",
                         "+memory +pids +cpu")


def test_it_says_what_is_missing_when_v2_is_not_delegated(tmp_path: Path) -> None:
    service = fake_v2_tree(tmp_path)
    (service / "cgroup.controllers").write_text("cpu io\n")
    manager = cgroup_detect.detect(preference="v2", name="observer-sandbox", v2_parent="", cpu_quota=1.0,
                             mountinfo=f"30 25 0:27 / {tmp_path} rw - cgroup2 cgroup2 rw\n",
                             proc_self_cgroup="0::/system.slice/observer.service\n")
    assert manager.mode == "none"
    assert "memory, pids are not delegated" in manager.message
    assert "Delegate=yes" in manager.message
    assert "fall back to rlimits" in manager.message


def test_it_can_be_switched_off(tmp_path: Path) -> None:
    manager = cgroup_detect.detect(preference="none", name="x", v2_parent="", cpu_quota=1.0)
    assert manager.mode == "none"
    assert manager.create(LIMITS) is None


@pytest.mark.sandbox
@pytest.mark.skipif(os.geteuid() != 0, reason="cgroup v1 directories need root")
async def test_it_creates_limits_and_removes_a_real_v1_run_cgroup() -> None:
    manager = cgroup_detect.detect(preference="v1", name="observer-sandbox-test", v2_parent="", cpu_quota=1.0)
    assert manager.mode == "v1", manager.message
    group = manager.create(LIMITS)
    assert group is not None
    try:
        assert int((group.dirs["memory"] / "memory.limit_in_bytes").read_text()) == 64 * 1024 * 1024
        assert (group.dirs["pids"] / "pids.max").read_text().strip() == "32"
        assert (group.dirs["cpu"] / "cpu.cfs_quota_us").read_text().strip() == "100000"
        stats = group.stats()
        assert stats.oom_killed is False and stats.cpu_ms == 0
    finally:
        assert await group.remove()
    assert not any(directory.exists() for directory in group.unique_dirs)
    for parent in set(manager.parents.values()):
        parent.rmdir()
