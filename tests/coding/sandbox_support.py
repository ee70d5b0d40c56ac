"""Helpers for tests that run real programs: track what a run started and prove
that nothing of it is left afterwards."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from coding import runner
from coding.languages import get_language
from coding.sandbox import workdir
from coding.sandbox.base import Backend, Limits, RunResult, Status, StepProcess, StepSpec
from coding.sandbox.bubblewrap import BubblewrapBackend
from coding.sandbox.podman import v1_mounts
from coding.sandbox.processes import children_of
from coding.sandbox.warm_step import WarmStep

HELLO = {"python": ("main.py", 'print("Hello, world!")\n')}


def alive(pid: int | None) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def processes_mentioning(token: str) -> list[int]:
    """Host pids whose command line contains ``token``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                if token.encode() in handle.read():
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


# What a sandbox looks like on the host before and after the exec chain (comm is cut
# at 15 characters).
SANDBOX_COMMANDS = {"bwrap", "setpriv", "prlimit", "observer-launch"}


# Sandbox processes that were there when the checking suite began: left by suites that
# do not check (a DB suite whose test ended with a background run still going, its event
# loop closed under it). They are not the checking test's doing; it is judged on its own.
EARLIER: set[int] = set()


def note_earlier_sandboxes() -> None:
    EARLIER.clear()
    EARLIER.update(sandbox_children())


def sandbox_children() -> set[int]:
    """Host pids of this server's children (from any thread) that are sandboxes."""
    found: set[int] = set()
    for tid in os.listdir("/proc/self/task"):
        for pid in children_of_thread(int(tid)):
            try:
                with open(f"/proc/{pid}/comm") as handle:
                    if handle.read().strip() in SANDBOX_COMMANDS:
                        found.add(pid)
            except OSError:
                continue
    return found


def children_of_thread(tid: int) -> list[int]:
    try:
        with open(f"/proc/self/task/{tid}/children") as handle:
            return [int(pid) for pid in handle.read().split()]
    except (OSError, ValueError):
        return children_of(tid)


def describe(pids: set[int]) -> list[str]:
    described = []
    for pid in sorted(pids):
        try:
            with open(f"/proc/{pid}/stat") as stat, open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                state = stat.read().rsplit(")", 1)[1].split()[0]
                command = cmdline.read().replace(b"\0", b" ")[:200]
                described.append(f"{pid} ({state}) {command!r}")
        except OSError:
            described.append(f"{pid} (gone)")
    return described


def run_cgroups_of_this_server(backend: BubblewrapBackend) -> set[Path]:
    found: set[Path] = set()
    for parent in backend.cgroups.parents.values():
        found |= {entry for entry in parent.glob(f"run-{os.getpid()}-*") if entry.is_dir()}
    return found


def assert_only_idle_warm_sandboxes(backend: BubblewrapBackend) -> None:
    """Every bwrap process and run cgroup of this server still there is an idle warm
    sandbox's (never used, still waiting); anything else is a run's leftover."""
    with backend.pool.quiesced() as (idle, doomed):
        assert all(step.idle_alive() and not step.claimed for step in idle), "a used or dead sandbox idles"
        assert not any(step.claimed for step in doomed), "a used sandbox is the pool's"
        idle_pids = {step.pid for step in idle + doomed}
        idle_dirs = {d for step in idle + doomed if step.cgroup is not None for d in step.cgroup.unique_dirs}
        stray = sandbox_children() - idle_pids - EARLIER
        assert stray == set(), f"sandbox processes survived their run: {describe(stray)}"
        left = run_cgroups_of_this_server(backend) - idle_dirs
        assert left == set(), f"run cgroups left behind: {sorted(map(str, left))}"


def assert_drained_and_clean(backend: BubblewrapBackend) -> None:
    """Once the pool is drained, nothing of any sandbox of this server is left."""
    backend.pool.drain()
    with backend.pool.quiesced() as (idle, doomed):
        assert idle == doomed == []
    assert_only_idle_warm_sandboxes(backend)
    # Every host uid a sandbox or a run's /build held is given back.
    assert backend.uids is None or backend.uids.held_here() == 0, "a sandbox uid is still held"


def template(language: str = "python", *, tty: bool = False) -> StepSpec:
    """A run step of ``language`` with its default limits, as the pool keys it."""
    return StepSpec(argv=("/usr/bin/true",), files=(), tty=tty, binds=get_language(language).binds,
                    limits=runner.default_limits(language, interactive=tty))


@dataclass
class RunTracker:
    """Wraps a backend's ``start`` and build-dir methods to remember what each run used."""

    steps: list[StepProcess] = field(default_factory=list)
    specs: list[StepSpec] = field(default_factory=list)
    build_dirs: list[str] = field(default_factory=list)
    # Whether an idle warm sandbox could take the step when it started: then it must have.
    could_be_warm: list[bool] = field(default_factory=list)
    backend: Backend | None = None
    _starting: int = 0

    @property
    def pooled(self) -> list[bool]:
        return [isinstance(step, WarmStep) for step in self.steps]

    def install(self, backend: Backend, monkeypatch: object) -> None:
        self.backend = backend
        original_start = backend.start
        original_make = backend.make_build_dir

        async def start(spec: StepSpec) -> StepProcess:
            # (Only meaningful when no other start races this one for the same sandbox.)
            fitting = (isinstance(backend, BubblewrapBackend) and not self._starting
                       and backend.pool.has_fitting(spec))
            self._starting += 1
            try:
                step = await original_start(spec)
            finally:
                self._starting -= 1
            self.specs.append(spec)
            self.steps.append(step)
            self.could_be_warm.append(fitting)
            return step

        async def make_build_dir() -> str:
            path = await original_make()
            self.build_dirs.append(path)
            return path

        monkeypatch.setattr(backend, "start", start)  # type: ignore[attr-defined]
        monkeypatch.setattr(backend, "make_build_dir", make_build_dir)  # type: ignore[attr-defined]

    def assert_nothing_left(self) -> None:
        assert self.steps, "no step was started"
        for could, pooled in zip(self.could_be_warm, self.pooled, strict=True):
            assert pooled or not could, "a step started cold while a warm sandbox fitted it"
        for step in self.steps:
            pid = getattr(step, "pid", None)
            assert not alive(pid), f"sandbox process {pid} survived"
            init_pid = getattr(step, "init_pid", None)
            assert not alive(init_pid), f"sandbox init {init_pid} survived"
            for attribute in ("cgroup", "run_cgroup"):  # bubblewrap's, podman's
                cgroup = getattr(step, attribute, None)
                if cgroup is not None:
                    for directory in cgroup.unique_dirs:
                        assert not directory.exists(), f"cgroup {directory} was left behind"
            relative = getattr(step, "relative_cgroup", None)  # podman's --cgroup-parent
            if relative is not None:
                # cgroupfs made it in every hierarchy (devices, freezer, hugetlb, the
                # cgroup2 mount...), not only in the controllers the runner created.
                for mount in v1_mounts():
                    directory = mount / relative.lstrip("/")
                    assert not directory.exists(), f"cgroup {directory} was left behind"
            src_dir = getattr(step, "src_dir", None)  # podman's host copy of the sources
            assert src_dir is None or not os.path.lexists(src_dir), f"{src_dir} was left behind"
        for path in self.build_dirs:
            assert not os.path.lexists(path), f"build dir {path} was left behind"
        ours = [entry.name for entry in os.scandir(workdir.work_root())
                if entry.name.split("-")[1:2] == [str(os.getpid())]]
        assert ours == [], f"left in SANDBOX_WORK_ROOT: {ours}"
        if isinstance(self.backend, BubblewrapBackend):
            assert_only_idle_warm_sandboxes(self.backend)


@dataclass
class Canary:
    """A file in the project directory no run may read or change."""

    path: Path
    content: bytes
    mtime_ns: int = 0
    atime_ns: int = 0

    @classmethod
    def plant(cls, directory: Path) -> Canary:
        path = directory / f".sandbox-canary-{secrets.token_hex(6)}"
        content = secrets.token_hex(16).encode()
        path.write_bytes(content)
        path.chmod(0o644)  # readable by everyone: only the sandbox may keep it away
        # An old atime makes any read update it, even on relatime mounts.
        os.utime(path, ns=(10**9, path.stat().st_mtime_ns))
        stat = path.stat()
        return cls(path, content, stat.st_mtime_ns, stat.st_atime_ns)

    def assert_untouched(self) -> None:
        stat = self.path.stat()
        assert stat.st_atime_ns == self.atime_ns, "the canary was read"
        assert stat.st_mtime_ns == self.mtime_ns, "the canary was modified"
        assert self.path.read_bytes() == self.content

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


RunFn = Callable[..., Awaitable[RunResult]]


async def assert_unharmed(tracker: RunTracker, canary: Canary, *, token: str | None = None) -> None:
    """After a hostile run: nothing survives, nothing is left, canary untouched, and a
    normal run still works."""
    tracker.assert_nothing_left()
    if token is not None:
        assert processes_mentioning(token) == [], f"processes tagged {token} survived"
    canary.assert_untouched()
    backend = tracker.backend
    pooled = isinstance(backend, BubblewrapBackend) and backend.pool.problem() is None
    if pooled:  # the normal run goes through the pool
        await asyncio.to_thread(backend.pool.fill, template())  # type: ignore[union-attr]
    result = await runner.run_batch(language="python", files=[HELLO["python"]])
    assert result.status == Status.OK, result
    assert result.stdout == b"Hello, world!\n"
    if pooled:
        assert tracker.pooled[-1], "the normal run after did not get a warm sandbox"
    tracker.assert_nothing_left()


def quick_limits(language: str = "python", **changes: object) -> Limits:
    """Default limits with short times so hostile tests end fast."""
    base = runner.default_limits(language).replace(wall_seconds=5.0, cpu_seconds=2.0)
    return base.replace(**changes)


# Forks sleeping children until the pids limit refuses one, reports how many it got,
# then every process forks forever.
FORK_BOMB = (
    "import os, time\ncount = 0\n"
    "while True:\n"
    "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
    "    if pid == 0:\n        time.sleep(3600)\n        os._exit(0)\n"
    "    count += 1\n"
    "print('forked', count, flush=True)\n"
    "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
)


def forked(result: runner.RunResult) -> int:
    line = result.stdout.decode().splitlines()[0]
    assert line.startswith("forked "), result
    return int(line.split()[1])


# Asks "name? " and answers "hi <name>", in every language.
ASK_NAME = {
    "python": ("main.py", "print('hi', input('name? '))\n"),
    "c": ("main.c", "#include <stdio.h>\nint main(void) { char n[32]; printf(\"name? \"); fflush(stdout);"
          " if (scanf(\"%31s\", n) == 1) printf(\"hi %s\\n\", n); return 0; }\n"),
    "javascript": ("main.js", "const rl = require('readline').createInterface({input: process.stdin,"
                   " output: process.stdout});\nrl.question('name? ', n => { console.log('hi ' + n);"
                   " rl.close(); });\n"),
    "typescript": ("main.ts", "import * as readline from 'readline';\n"
                   "const rl = readline.createInterface({input: process.stdin, output: process.stdout});\n"
                   "rl.question('name? ', (n: string) => { console.log('hi ' + n); rl.close(); });\n"),
    "cpp": ("main.cpp", "#include <iostream>\n#include <string>\nint main() { std::string n;"
            " std::cout << \"name? \" << std::flush; std::getline(std::cin, n);"
            " std::cout << \"hi \" << n << std::endl; }\n"),
    "java": ("Main.java", "import java.util.Scanner; public class Main { public static void "
             "main(String[] a) { System.out.print(\"name? \"); System.out.flush();"
             " System.out.println(\"hi \" + new Scanner(System.in).nextLine()); } }\n"),
}


class Screen:
    """Collects an interactive run's output and waits for text to appear."""

    @classmethod
    async def start(cls, language: str, files: list[tuple[str, str]], **kwargs: object) -> Screen:
        return cls(await runner.start_interactive(language=language, files=files, **kwargs))  # type: ignore[arg-type]

    def __init__(self, run: runner.InteractiveRun) -> None:
        self.run = run
        self.text = b""
        self.changed = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._collect())

    async def _collect(self) -> None:
        async for chunk in self.run.output():
            self.text += chunk
            self.changed.set()

    async def wait_for(self, needle: bytes, timeout: float = 20) -> None:
        async def until() -> None:
            while needle not in self.text:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(until(), timeout)

    async def result(self) -> runner.RunResult:
        result = await asyncio.wait_for(self.run.wait(), 30)
        await self.task
        return result


def fake_v2_tree(root: Path, *, server_pids: str = "") -> Path:
    """A delegated cgroup2 service directory, as systemd's Delegate=yes leaves it."""
    service = root / "system.slice" / "observer.service"
    service.mkdir(parents=True)
    (service / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (service / "cgroup.subtree_control").write_text("")
    (service / "cgroup.procs").write_text(server_pids)
    return service
