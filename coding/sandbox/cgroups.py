"""Per-run cgroups for memory, process count and CPU: cgroup v1 and v2.

These machines have cgroup v1 (one hierarchy per controller, plus an empty cgroup2
mount); current VPS distributions have v2 only, delegated to the service by systemd
(``Delegate=yes``). :func:`detect` picks what is writable; with neither the sandbox
falls back to rlimits and says so in the health report.

A run's process joins its cgroups itself, between fork and exec (``join_fds`` are
opened before the fork and the child writes ``0``, meaning "me", into each), so
every process the run ever starts is accounted for. Cleanup kills whatever is left
in ``cgroup.procs`` and retries ``rmdir`` until the kernel lets go.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import signal
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


def parse_mountinfo(text: str) -> tuple[dict[str, Path], Path | None]:
    """``({v1 controller: mount point}, cgroup2 mount point)`` from mountinfo."""
    v1: dict[str, Path] = {}
    v2: Path | None = None
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or len(rfields) < 3:
            continue
        mount_point = Path(fields[4].replace("\\040", " "))
        fstype, super_options = rfields[0], rfields[2].split(",")
        if fstype == "cgroup2" and v2 is None:
            v2 = mount_point
        elif fstype == "cgroup":
            for option in super_options:
                if option in V1_CONTROLLERS and option not in v1:
                    v1[option] = mount_point
    return v1, v2


def own_v2_path(proc_self_cgroup: str) -> str:
    for line in proc_self_cgroup.splitlines():
        if line.startswith("0::"):
            return line[3:].strip() or "/"
    return "/"


class RunCgroup:
    """The cgroup directories of one run (one per v1 hierarchy, or one v2 dir)."""

    def __init__(self, mode: str, dirs: dict[str, Path], *, nested: bool = False) -> None:
        self.mode = mode
        self.dirs = dirs  # controller (v1) or "unified" (v2) -> directory
        self.removed = False
        # Whether sub-cgroups may appear below (podman's); bwrap runs have none, and
        # walking the directories costs more than the rest of the bookkeeping.
        self.nested = nested

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

    def stats(self) -> CgroupStats:
        if self.mode == "v2":
            directory = self.dirs["unified"]
            peak = _read_int(directory / "memory.peak")
            events = _keyed(_read(directory / "memory.events"))
            usage = _keyed(_read(directory / "cpu.stat")).get("usage_usec")
            return CgroupStats(
                peak_memory_kb=peak // 1024 if peak is not None else None,
                cpu_ms=usage // 1000 if usage is not None else None,
                oom_killed=events.get("oom_kill", 0) > 0,
                limit_hits=events.get("max", 0),
            )
        peak = _read_int(self.dirs["memory"] / "memory.max_usage_in_bytes")
        oom = _keyed(_read(self.dirs["memory"] / "memory.oom_control")).get("oom_kill", 0)
        cpu_ns = None
        if "cpuacct" in self.dirs:
            cpu_ns = _read_int(self.dirs["cpuacct"] / "cpuacct.usage")
        return CgroupStats(
            peak_memory_kb=peak // 1024 if peak is not None else None,
            cpu_ms=cpu_ns // 1_000_000 if cpu_ns is not None else None,
            oom_killed=oom > 0,
            limit_hits=_read_int(self.dirs["memory"] / "memory.failcnt") or 0,
        )

    async def remove(self, *, attempts: int = 400) -> bool:
        """rmdir every directory; while the kernel says busy, kill what is left and retry."""
        for attempt in range(attempts):
            remaining = []
            for top in self.unique_dirs:
                for directory in self._tree(top):
                    try:
                        os.rmdir(directory)
                    except FileNotFoundError:
                        pass
                    except OSError:
                        remaining.append(directory)
            if not remaining:
                self.removed = True
                return True
            # Usually only bwrap's init is left, a zombie until the host's init reaps it.
            self.kill_all(rounds=1)
            await asyncio.sleep(0.001 if attempt < 50 else 0.02)
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
            quota = self.cpu_quota if cpu_quota is None else cpu_quota
            if self.mode == "v1":
                self._limit_v1(dirs, limits, quota)
            else:
                self._limit_v2(dirs["unified"], limits, quota)
                if delegate:
                    _enable_controllers(dirs["unified"], self.controllers)
        except OSError:
            for directory in group.unique_dirs:
                with contextlib.suppress(OSError):
                    directory.rmdir()
            raise
        return group

    def _limit_v1(self, dirs: dict[str, Path], limits: Limits, quota: float) -> None:
        memory = dirs["memory"]
        _write(memory / "memory.limit_in_bytes", str(limits.memory_bytes))
        with contextlib.suppress(FileNotFoundError):  # absent without swap accounting
            _write(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
        _write(dirs["pids"] / "pids.max", str(limits.max_processes))
        if "cpu" in dirs and quota > 0:  # the period is the kernel's default, 100 ms
            _write(dirs["cpu"] / "cpu.cfs_quota_us", str(int(CPU_PERIOD_US * quota)))

    def _limit_v2(self, directory: Path, limits: Limits, quota: float) -> None:
        _write(directory / "memory.max", str(limits.memory_bytes))
        with contextlib.suppress(FileNotFoundError):  # no swap accounting
            _write(directory / "memory.swap.max", "0")
        _write(directory / "pids.max", str(limits.max_processes))
        if quota > 0:
            with contextlib.suppress(FileNotFoundError):  # cpu controller not delegated
                _write(directory / "cpu.max", f"{int(CPU_PERIOD_US * quota)} {CPU_PERIOD_US}")

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


def _setup_v1(v1: dict[str, Path], name: str, cpu_quota: float) -> CgroupManager:
    missing = [c for c in V1_REQUIRED if c not in v1]
    if missing:
        raise OSError(f"cgroup v1 controllers not mounted: {', '.join(missing)}")
    parents: dict[str, Path] = {}
    for controller, mount in v1.items():
        parent = mount / name
        try:
            parent.mkdir(exist_ok=True)
            if not os.access(parent, os.W_OK):
                raise PermissionError(f"{parent} is not writable")
        except OSError:
            if controller in V1_REQUIRED:
                raise
            continue
        parents[controller] = parent
    mounts = ", ".join(sorted(parents))
    return CgroupManager("v1", f"cgroup v1 ({mounts})", parents, cpu_quota, dict(v1))


def _enable_controllers(directory: Path, wanted: Sequence[str]) -> None:
    _write(directory / "cgroup.subtree_control", " ".join(f"+{c}" for c in wanted))


def setup_v2(mount: Path, own_path: str, name: str, configured_parent: str,
             cpu_quota: float) -> CgroupManager:
    """Prepare ``<delegated cgroup>/<name>`` with memory, pids (and cpu) enabled.

    Without SANDBOX_CGROUP_V2_PARENT the server's own cgroup is used; because of the
    "no internal processes" rule the server first moves itself into a ``server``
    leaf so the controllers can be enabled below its cgroup.
    """
    if configured_parent:
        base = Path(configured_parent)
    else:
        base = mount / own_path.lstrip("/")
    available = _read(base / "cgroup.controllers").split()
    missing = [c for c in V2_REQUIRED if c not in available]
    if missing:
        raise OSError(
            f"cgroup v2 controllers {', '.join(missing)} are not delegated to {base} "
            "(systemd: Delegate=yes in the service unit)"
        )
    wanted = [c for c in ("memory", "pids", "cpu") if c in available]
    enabled = _read(base / "cgroup.subtree_control").split()
    if any(c not in enabled for c in wanted):
        try:
            _enable_controllers(base, wanted)
        except OSError:
            if configured_parent:
                raise
            leaf = base / "server"
            leaf.mkdir(exist_ok=True)
            for pid in _read(base / "cgroup.procs").split():
                with contextlib.suppress(OSError):
                    _write(leaf / "cgroup.procs", pid)
            _enable_controllers(base, wanted)
    parent = base / name
    parent.mkdir(exist_ok=True)
    _enable_controllers(parent, wanted)
    return CgroupManager("v2", f"cgroup v2 ({parent})", {"unified": parent}, cpu_quota,
                         {"unified": mount}, tuple(wanted))


def detect(*, preference: str, name: str, v2_parent: str, cpu_quota: float,
           mountinfo: str | None = None, proc_self_cgroup: str | None = None) -> CgroupManager:
    """The best writable cgroup layout, or mode ``none`` with the reason."""
    if preference == "none":
        return CgroupManager("none", "cgroups disabled by SANDBOX_CGROUP='none'; rlimits only")
    if mountinfo is None:
        mountinfo = _read(Path("/proc/self/mountinfo"))
    if proc_self_cgroup is None:
        proc_self_cgroup = _read(Path("/proc/self/cgroup"))
    v1, v2 = parse_mountinfo(mountinfo)
    errors: list[str] = []
    if preference in ("auto", "v1") and v1:
        try:
            return _setup_v1(v1, name, cpu_quota)
        except OSError as exc:
            errors.append(f"v1: {exc}")
    if preference in ("auto", "v2") and v2 is not None:
        try:
            return setup_v2(v2, own_v2_path(proc_self_cgroup), name, v2_parent, cpu_quota)
        except OSError as exc:
            errors.append(f"v2: {exc}")
    reason = "; ".join(errors) or "no cgroup filesystem found"
    return CgroupManager(
        "none",
        f"cgroups unavailable ({reason}): memory and process limits fall back to "
        "rlimits, which are weaker; run the server as root or give it a delegated "
        "cgroup v2 subtree",
    )
