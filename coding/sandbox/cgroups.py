"""Per-run cgroups for memory, process count and CPU: cgroup v1 and v2.

These machines have cgroup v1 (one hierarchy per controller, plus an empty cgroup2
mount); current VPS distributions have v2 only, delegated to the service by systemd
(``Delegate=yes``). ``cgroup_detect.detect`` picks what is writable; with neither the sandbox
falls back to rlimits and says so in the health report.

A run's first process is placed in its cgroups before it can fork (the gated start in
``spawn.py``, or the child itself between fork and exec through ``join_fds``), so every
process the run ever starts is accounted for. Cleanup kills whatever is left
in ``cgroup.procs`` and retries ``rmdir`` until the kernel lets go.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coding.sandbox.base import Limits

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
V1_REQUIRED = ("memory", "pids")
V2_REQUIRED = ("memory", "pids")
CPU_PERIOD_US = 100_000
_counter = itertools.count(1)


@dataclass(frozen=True)
class CgroupStats:
    peak_memory_kb: int | None = None
    cpu_ms: int | None = None
    oom_killed: bool = False
    # Times a charge hit the memory limit at this level (v1 failcnt, v2 "max" events).
    limit_hits: int = 0


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: Path | str) -> str:
    # os-level I/O: these small reads happen several times per run.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return ""
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:
        return ""
    finally:
        os.close(fd)
    return b"".join(chunks).decode()


def _read_int(path: Path) -> int | None:
    text = _read(path).strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _keyed(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            values[key] = int(value)
    return values


class RunCgroup:
    """The cgroup directories of one run (one per v1 hierarchy, or one v2 dir)."""

    def __init__(self, mode: str, dirs: dict[str, Path], *, nested: bool = False) -> None:
        self.mode = mode
        self.dirs = dirs  # controller (v1) or "unified" (v2) -> directory
        self.removed = False
        # Whether sub-cgroups may appear below (podman's); bwrap runs have none, and
        # walking the directories costs more than the rest of the bookkeeping.
        self.nested = nested
        # (memory bytes, processes, CPU cores) as last written by write_limits.
        self.limits: tuple[int, int, float] | None = None
        self._baseline = (0, 0, 0)  # CPU ns, OOM kills, limit hits at restart_accounting
        self._peak_fd: int | None = None
        self._fds: dict[str, int] = {}  # counter file name -> fd kept open (see _value)

    @property
    def unique_dirs(self) -> list[Path]:
        return list(dict.fromkeys(self.dirs.values()))

    def open_join_fds(self) -> list[int]:
        return [os.open(d / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for d in self.unique_dirs]

    def _tree(self, directory: Path) -> list[Path]:
        """``directory`` and its sub-cgroups (podman nests the container's), deepest first."""
        found = [directory]
        if not self.nested:
            return found
        with contextlib.suppress(OSError):
            for entry in os.scandir(directory):
                if entry.is_dir(follow_symlinks=False):
                    found[:0] = self._tree(Path(entry.path))
        return found

    def pids(self) -> set[int]:
        found: set[int] = set()
        for top in self.unique_dirs:
            for directory in self._tree(top):
                for line in _read(directory / "cgroup.procs").split():
                    if line.isdigit():
                        found.add(int(line))
        return found

    def kill_all(self, *, rounds: int = 50) -> None:
        """SIGKILL everything in the cgroup (v2: atomically through cgroup.kill); on v1,
        repeat while new processes keep appearing (a fork racing the kill)."""
        if self.mode == "v2":
            with contextlib.suppress(OSError):
                _write(self.dirs["unified"] / "cgroup.kill", "1")
                return
        for _ in range(rounds):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    def write_limits(self, limits: Limits, quota: float) -> None:
        """Write the memory, process and CPU limits (``quota`` in cores, 0 = none); a
        warm sandbox's cgroup is rewritten this way when a run needs other limits."""
        wanted = (limits.memory_bytes, limits.max_processes, quota)
        if wanted == self.limits:
            return
        memory, processes = str(limits.memory_bytes), str(limits.max_processes)
        if self.mode == "v1":
            directory = self.dirs["memory"]
            # memsw (memory + swap) may never be below the memory limit: raise it first.
            files = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
            if self.limits is not None and limits.memory_bytes > self.limits[0]:
                files.reverse()
            for name in files:
                with contextlib.suppress(FileNotFoundError):  # memsw: no swap accounting
                    _write(directory / name, memory)
            _write(self.dirs["pids"] / "pids.max", processes)
            if "cpu" in self.dirs and (quota > 0 or self.limits is not None):
                # The period is the kernel's default, 100 ms; -1 is no quota.
                value = str(int(CPU_PERIOD_US * quota)) if quota > 0 else "-1"
                _write(self.dirs["cpu"] / "cpu.cfs_quota_us", value)
        else:
            directory = self.dirs["unified"]
            _write(directory / "memory.max", memory)
            with contextlib.suppress(FileNotFoundError):  # no swap accounting
                _write(directory / "memory.swap.max", "0")
            _write(directory / "pids.max", processes)
            if quota > 0 or self.limits is not None:
                value = f"{int(CPU_PERIOD_US * quota)} {CPU_PERIOD_US}" if quota > 0 else "max"
                with contextlib.suppress(FileNotFoundError):  # cpu controller not delegated
                    _write(directory / "cpu.max", value)
        self.limits = wanted

    def _value(self, key: str, name: str) -> str:
        """A counter file's content through an fd kept open from the first read on:
        opening a cgroup file costs more than reading it, and a read at offset 0 gives
        fresh values (a warm sandbox opens them all before its run, see :meth:`prime`)."""
        fd = self._fds.get(name)
        if fd is None:
            try:
                fd = self._fds[name] = os.open(self.dirs[key] / name, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return ""
        try:
            return os.pread(fd, 4096, 0).decode()
        except OSError:
            return ""

    def _int(self, key: str, name: str) -> int | None:
        text = self._value(key, name).strip()
        return int(text) if text.lstrip("-").isdigit() else None

    def _counters(self) -> tuple[int | None, int | None, int, int]:
        """``(peak bytes, CPU ns, OOM kills, limit hits)`` as the kernel counts them."""
        if self.mode == "v2":
            if self._peak_fd is not None:
                text = os.pread(self._peak_fd, 64, 0).decode().strip()
                peak = int(text) if text.isdigit() else None
            else:
                peak = self._int("unified", "memory.peak")
            events = _keyed(self._value("unified", "memory.events"))
            usage = _keyed(self._value("unified", "cpu.stat")).get("usage_usec")
            cpu_ns = usage * 1000 if usage is not None else None
            return peak, cpu_ns, events.get("oom_kill", 0), events.get("max", 0)
        peak = self._int("memory", "memory.max_usage_in_bytes")
        oom = _keyed(self._value("memory", "memory.oom_control")).get("oom_kill", 0)
        cpu_ns = self._int("cpuacct", "cpuacct.usage") if "cpuacct" in self.dirs else None
        return peak, cpu_ns, oom, self._int("memory", "memory.failcnt") or 0

    def prime(self) -> None:
        """Open the counter files now (off a run's critical path)."""
        self._counters()

    def restart_accounting(self) -> None:
        """From now on, report only what happens from now on: a warm sandbox's cgroup
        already holds the sandbox's own start-up. CPU time, OOM kills and limit hits are
        counted from here; the peak restarts at the current usage (v1: writing 0 to
        ``memory.max_usage_in_bytes``; v2: a reset through our own fd of ``memory.peak``,
        kernel 6.12+, else the peak keeps the sandbox's start-up, as a cold run's does)."""
        if self.mode == "v2":
            with contextlib.suppress(OSError):
                fd = os.open(self.dirs["unified"] / "memory.peak", os.O_RDWR | os.O_CLOEXEC)
                try:
                    os.write(fd, b"reset")
                except OSError:
                    os.close(fd)
                else:
                    self._close_peak_fd()
                    self._peak_fd = fd
        else:
            with contextlib.suppress(OSError):
                _write(self.dirs["memory"] / "memory.max_usage_in_bytes", "0")
        _, cpu_ns, oom, hits = self._counters()
        self._baseline = (cpu_ns or 0, oom, hits)

    def stats(self) -> CgroupStats:
        peak, cpu_ns, oom, hits = self._counters()
        base_cpu, base_oom, base_hits = self._baseline
        return CgroupStats(
            peak_memory_kb=peak // 1024 if peak is not None else None,
            cpu_ms=max(0, cpu_ns - base_cpu) // 1_000_000 if cpu_ns is not None else None,
            oom_killed=oom > base_oom,
            limit_hits=max(0, hits - base_hits),
        )

    def _close_peak_fd(self) -> None:
        fd, self._peak_fd = self._peak_fd, None
        if fd is not None:
            os.close(fd)

    def _rmdir_all(self) -> bool:
        """One pass of rmdir over every directory; True once all are gone."""
        self._close_peak_fd()
        fds, self._fds = self._fds, {}
        for fd in fds.values():
            os.close(fd)
        remaining = False
        for top in self.unique_dirs:
            for directory in self._tree(top):
                try:
                    os.rmdir(directory)
                except FileNotFoundError:
                    pass
                except OSError:
                    remaining = True
        self.removed = not remaining
        return self.removed

    async def remove(self, *, attempts: int = 400) -> bool:
        """rmdir every directory; while the kernel says busy, kill what is left and retry."""
        for attempt in range(attempts):
            if self._rmdir_all():
                return True
            # Usually only bwrap's init is left, a zombie until the host's init reaps it.
            self.kill_all(rounds=1)
            await asyncio.sleep(0.001 if attempt < 50 else 0.02)
        return False

    def remove_blocking(self, *, attempts: int = 400) -> bool:
        """:meth:`remove` for worker threads (the warm pool's)."""
        for attempt in range(attempts):
            if self._rmdir_all():
                return True
            self.kill_all(rounds=1)
            time.sleep(0.001 if attempt < 50 else 0.02)
        return False


@dataclass
class CgroupManager:
    """Creates run cgroups under a parent the server owns."""

    mode: str  # "v1" | "v2" | "none"
    message: str
    parents: dict[str, Path] = field(default_factory=dict)
    cpu_quota: float = 1.0
    # controller (v1) or "unified" -> mount point, for paths relative to the root.
    mounts: dict[str, Path] = field(default_factory=dict)
    # v2: the controllers enabled for run cgroups (and delegated below them on request).
    controllers: tuple[str, ...] = ()

    def create(self, limits: Limits, *, memory_slack: int = 0,
               cpu_quota: float | None = None, delegate: bool = False) -> RunCgroup | None:
        """A new run cgroup with the limits written (memory raised by ``memory_slack``
        when something besides the program, like podman's conmon, lives inside;
        ``cpu_quota`` in cores overrides the manager's, 0 meaning none).

        ``delegate``: something else (podman) will create cgroups below this one and
        put the processes there; on v2 the controllers must then be enabled in its
        ``cgroup.subtree_control`` (allowed because the run cgroup itself stays empty)."""
        if self.mode == "none":
            return None
        name = f"run-{os.getpid()}-{next(_counter)}"
        dirs = {key: parent / name for key, parent in self.parents.items()}
        group = RunCgroup(self.mode, dirs, nested=delegate)
        if memory_slack:
            limits = dataclasses.replace(limits, memory_bytes=limits.memory_bytes + memory_slack)
        try:
            for directory in group.unique_dirs:
                directory.mkdir()
            group.write_limits(limits, self.cpu_quota if cpu_quota is None else cpu_quota)
            if delegate and self.mode == "v2":
                enable_controllers(dirs["unified"], self.controllers)
        except OSError:
            for directory in group.unique_dirs:
                with contextlib.suppress(OSError):
                    directory.rmdir()
            raise
        return group

    def relative_path(self, group: RunCgroup) -> str:
        """The run's cgroup path as podman's --cgroup-parent expects it (``/a/b``)."""
        directory = group.unique_dirs[0]
        for mount in self.mounts.values():
            with contextlib.suppress(ValueError):
                return "/" + str(directory.relative_to(mount))
        raise ValueError(f"{directory} is under no cgroup mount")

    def sweep_stale(self, extra_parents: Sequence[Path] = ()) -> int:
        """Remove run cgroups left by server processes that no longer exist."""
        removed = 0
        for parent in dict.fromkeys([*self.parents.values(), *extra_parents]):
            with contextlib.suppress(OSError):
                for entry in parent.iterdir():
                    parts = entry.name.split("-")
                    if len(parts) != 3 or parts[0] != "run" or not parts[1].isdigit():
                        continue
                    if int(parts[1]) == os.getpid() or Path(f"/proc/{parts[1]}").exists():
                        continue
                    key = "unified" if self.mode == "v2" else "stale"
                    group = RunCgroup(self.mode, {key: entry}, nested=True)
                    group.kill_all()
                    for directory in group._tree(entry):
                        with contextlib.suppress(OSError):
                            directory.rmdir()
                    removed += not entry.exists()
        return removed


def enable_controllers(directory: Path, wanted: Sequence[str]) -> None:
    _write(directory / "cgroup.subtree_control", " ".join(f"+{c}" for c in wanted))


