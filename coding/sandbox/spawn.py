"""Starting one step as a host process (bwrap, podman CLI, or bare for development).

:func:`spawn` forks once; between fork and exec the child joins the run's cgroups,
sets its rlimits and drops to the sandbox uid (``preexec``), so nothing the run ever
starts escapes accounting. :class:`SpawnedStep` then does the asyncio side: output
streams, stdin, PTY size, signals, a CPU watchdog over the cgroup, and the sweep on
exit. Backends subclass it to say where the program's process group is and how to
read their exit status.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from coding.sandbox.base import Limits, SandboxError, StepOutcome, StepProcess
from coding.sandbox.cgroups import RunCgroup
from coding.sandbox.processes import (
    ChunkReader,
    ExitInfo,
    InputWriter,
    open_pty,
    set_winsize,
    signal_group_quietly,
    signal_quietly,
    wait_pid,
)

_CPU_POLL_SECONDS = 0.25
_RLIM_MASK = (1 << 64) - 1  # resource.RLIM_INFINITY is -1 here, ~0 for the kernel
_SPAWNER: concurrent.futures.ThreadPoolExecutor | None = None
_SPAWNER_LOCK = threading.Lock()


def spawner() -> concurrent.futures.ThreadPoolExecutor:
    """The threads every sandbox is forked from. They live as long as the server, which
    matters: bwrap's --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that
    forked it exits, so a sandbox must never be forked from a short-lived thread."""
    global _SPAWNER
    with _SPAWNER_LOCK:
        if _SPAWNER is None:
            _SPAWNER = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="sandbox-spawn")
        return _SPAWNER


@dataclass
class SpawnPlan:
    argv: Sequence[str]
    limits: Limits
    env: dict[str, str] = field(default_factory=dict)
    pass_fds: tuple[int, ...] = ()
    cgroup: RunCgroup | None = None
    rlimits: Sequence[tuple[int, int, int]] = ()
    drop_to: tuple[int, int] | None = None
    cwd: str | None = None
    tty: bool = False
    raw_tty: bool = False
    rows: int = 24
    cols: int = 80
    # The gated start: the child blocks reading these NUL-separated options from a pipe
    # whose fd replaces GATE_FD in argv, until it is in its cgroups.
    gate_args: Sequence[str] | None = None


GATE_FD = "{gate-fd}"


def rlimits_for(limits: Limits, *, address_space: bool, nproc: int | None) -> list[tuple[int, int, int]]:
    """The rlimits every sandboxed process inherits. RLIMIT_NPROC counts per uid on the
    whole machine, so it is only a backstop when there is no pids cgroup."""
    cpu = max(1, int(limits.cpu_seconds + 0.999))
    values = [
        (resource.RLIMIT_CPU, cpu, cpu + 1),
        (resource.RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if address_space:
        values.append((resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes))
    if nproc is not None:
        values.append((resource.RLIMIT_NPROC, nproc, nproc))
    return values


def wrapper_argv(rlimits: Sequence[tuple[int, int, int]], drop_to: tuple[int, int] | None, *,
                 helper: str, prlimit: str, setpriv: str) -> list[str] | None:
    """The argv prefix that sets the rlimits and drops to the sandbox uid, then execs
    the rest: small exec'd programs instead of Python code between fork and exec (which
    forces a full fork and copy-on-write faults: ~5 ms per run here). Our static
    ``observer-launcher --exec`` does both in one exec; util-linux's ``prlimit`` and
    ``setpriv`` take two (~2 ms more). None: neither is there, use a preexec hook.

    (The server cannot prlimit(2) its gated child instead: once the child dropped to
    the sandbox uid, that needs CAP_SYS_RESOURCE, which root lacks on these VMs.)"""
    if helper:
        ids = [str(drop_to[0]), str(drop_to[1])] if drop_to is not None else ["-", "-"]
        argv = [helper, "--exec", *ids, str(len(rlimits))]
        for which, soft, hard in rlimits:
            argv += [str(which), str(soft & _RLIM_MASK), str(hard & _RLIM_MASK)]
        return argv
    if not prlimit or (drop_to is not None and not setpriv):
        return None
    names = {
        resource.RLIMIT_CPU: "cpu", resource.RLIMIT_FSIZE: "fsize", resource.RLIMIT_NOFILE: "nofile",
        resource.RLIMIT_CORE: "core", resource.RLIMIT_AS: "as", resource.RLIMIT_NPROC: "nproc",
    }
    argv = [prlimit, *(f"--{names[which]}={soft}:{hard}" for which, soft, hard in rlimits), "--"]
    if drop_to is not None:
        argv += [setpriv, f"--reuid={drop_to[0]}", f"--regid={drop_to[1]}", "--clear-groups", "--"]
    return argv


def _make_preexec(join_fds: list[int], rlimits: Sequence[tuple[int, int, int]],
                  drop_to: tuple[int, int] | None) -> Callable[[], None] | None:
    if not join_fds and not rlimits and drop_to is None:
        return None  # lets subprocess use vfork

    # Runs in the forked child before exec: only async-signal-safe-ish os calls.
    def preexec() -> None:
        for fd in join_fds:
            os.write(fd, b"0")
        for which, soft, hard in rlimits:
            resource.setrlimit(which, (soft, hard))
        if drop_to is not None:
            os.setgroups([])
            os.setgid(drop_to[1])
            os.setuid(drop_to[0])

    return preexec


def _open_gate(pid: int, join_fds: list[int], gate_w: int, gate_args: Sequence[str]) -> None:
    """The child is blocked reading its options from the gate, so nothing of it has
    forked yet: move it into its cgroups, then let it go."""
    for fd in join_fds:
        os.write(fd, str(pid).encode())
    payload = memoryview(b"".join(arg.encode() + b"\0" for arg in gate_args))
    try:
        while payload:
            payload = payload[os.write(gate_w, payload):]
    except BrokenPipeError:
        pass  # it died before reading: wait() reports the failure


class SpawnedStep(StepProcess):
    """A step running as a host process tree we own."""

    # bwrap's pid namespace already takes every process down with its init; the
    # cgroup removal sweeps again (and kills) if anything is still there.
    sweep_cgroup_before_reap = True

    def __init__(self, plan: SpawnPlan) -> None:
        self.plan = plan
        self.limits = plan.limits
        self.cgroup = plan.cgroup
        # Whose total CPU time the watchdog polls: the cgroup the step joins, or one a
        # backend's processes live below without our process joining it (podman's).
        self.watch_cgroup: RunCgroup | None = plan.cgroup
        self.started = time.monotonic()
        self.killed = False
        self.cpu_exceeded = False
        self._streams: list[tuple[str, ChunkReader]] = []
        self._writer: InputWriter | None = None
        self._master: int | None = None
        self._outcome: StepOutcome | None = None
        self._wait_lock = asyncio.Lock()
        self._exit_task: asyncio.Task[ExitInfo] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self.pid = 0

    async def launch(self) -> SpawnedStep:
        """Fork and exec in a worker thread: until the child has exec'd, Popen blocks
        (joining cgroups, dropping privileges), and the event loop must not."""
        loop = asyncio.get_running_loop()
        spawning = loop.run_in_executor(spawner(), self.spawn_blocking)
        try:
            self.pid = await asyncio.shield(spawning)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                self.pid = await spawning
                self.watch()
                self.kill()
                await self.wait()
            raise
        self.watch()
        return self

    def watch(self) -> None:
        """Start waiting for the exit (and the CPU watchdog) on the running loop: the
        loop that drives the step, which for a warm sandbox is not where it was made."""
        loop = asyncio.get_running_loop()
        self._exit_task = loop.create_task(wait_pid(self.pid, self._sweep))
        if self.watch_cgroup is not None:
            self._watchdog = loop.create_task(self._watch_cpu())

    def spawn_blocking(self) -> int:
        """Fork and exec now (in a worker thread that lives as long as the server:
        bwrap's --die-with-parent follows the forking thread); the pid."""
        plan = self.plan
        close_after: list[int] = []
        join_fds: list[int] = []
        try:
            if plan.cgroup is not None:
                join_fds = plan.cgroup.open_join_fds()
                close_after += join_fds
            if plan.tty:
                master, slave = open_pty(plan.rows, plan.cols, raw=plan.raw_tty)
                close_after.append(slave)
                stdin = stdout = stderr = slave
                self._master = master
                self._writer = InputWriter(os.dup(master), tty=True)
                self._streams = [("tty", ChunkReader(master))]
            else:
                in_r, in_w = os.pipe2(os.O_CLOEXEC)
                out_r, out_w = os.pipe2(os.O_CLOEXEC)
                err_r, err_w = os.pipe2(os.O_CLOEXEC)
                close_after += [in_r, out_w, err_w]
                stdin, stdout, stderr = in_r, out_w, err_w
                os.set_blocking(out_r, False)
                os.set_blocking(err_r, False)
                self._writer = InputWriter(in_w, tty=False)
                self._streams = [("stdout", ChunkReader(out_r)), ("stderr", ChunkReader(err_r))]
            argv = list(plan.argv)
            pass_fds = plan.pass_fds
            gate_r = gate_w = -1
            if plan.gate_args is not None:
                gate_r, gate_w = os.pipe2(os.O_CLOEXEC)
                close_after += [gate_r, gate_w]
                argv = [str(gate_r) if arg == GATE_FD else arg for arg in argv]
                pass_fds = (*pass_fds, gate_r)
            proc = subprocess.Popen(
                argv,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                pass_fds=pass_fds,
                env=plan.env,
                cwd=plan.cwd,
                start_new_session=True,
                preexec_fn=(
                    None if plan.gate_args is not None
                    else _make_preexec(join_fds, plan.rlimits, plan.drop_to)
                ),
            )
            if plan.gate_args is not None:
                try:
                    _open_gate(proc.pid, join_fds, gate_w, plan.gate_args)
                except OSError:
                    proc.kill()
                    proc.wait()
                    raise
            # We reap it ourselves (wait_pid); keep Popen from warning or reaping.
            proc.returncode = 0
            return proc.pid
        except (OSError, subprocess.SubprocessError) as exc:
            self._close_streams()
            raise SandboxError(f"cannot start {plan.argv[0]}: {exc}") from exc
        finally:
            for fd in close_after:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _close_streams(self) -> None:
        for _name, stream in self._streams:
            stream.close()
        if self._writer is not None:
            self._writer.abort()

    async def _watch_cpu(self) -> None:
        """Total CPU of every process of the run (RLIMIT_CPU is per process)."""
        assert self.watch_cgroup is not None
        limit_ms = self.limits.cpu_seconds * 1000
        while True:
            await asyncio.sleep(_CPU_POLL_SECONDS)
            used = self.watch_cgroup.stats().cpu_ms
            if used is not None and used > limit_ms:
                self.cpu_exceeded = True
                self.kill()
                return

    @property
    def reaped(self) -> bool:
        """Whether our child has been reaped: from then on its pid (and process group
        id) may belong to an unrelated process and must never be signalled."""
        return self._exit_task is not None and self._exit_task.done()

    # -- hooks for backends --------------------------------------------------------

    def program_pgid(self) -> int | None:
        """The process group of the student's program (for Ctrl+C and SIGWINCH)."""
        return None if self.reaped else self.pid

    def kill_tree(self) -> None:
        """Kill every process of the step, now (must not raise)."""
        if not self.reaped:
            signal_group_quietly(self.pid, signal.SIGKILL)
            signal_quietly(self.pid, signal.SIGKILL)
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def _sweep(self) -> None:
        """Runs when the spawned process has exited but is not reaped yet: whatever
        is left in its process group or cgroup (a daemon, a double fork) dies. One
        pass: the zombie itself stays listed until reaped; remove() sweeps again."""
        signal_group_quietly(self.pid, signal.SIGKILL)
        if self.cgroup is not None and self.sweep_cgroup_before_reap:
            with contextlib.suppress(Exception):
                self.cgroup.kill_all(rounds=1)

    async def finish(self, info: ExitInfo) -> tuple[int | None, int | None, str]:
        """``(exit_code, signal, sandbox_error)`` from how the spawned process ended."""
        return info.exit_code, info.signal, ""

    async def cleanup(self) -> None:
        """Backend-specific cleanup after the exit (containers, temp files)."""

    # -- StepProcess ---------------------------------------------------------------

    def read_streams(self) -> Sequence[tuple[str, AsyncIterator[bytes]]]:
        return self._streams

    def release(self) -> None:
        self._close_streams()

    def write(self, data: bytes) -> None:
        if self._writer is not None:
            self._writer.write(data)

    def close_stdin(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def resize(self, rows: int, cols: int) -> None:
        if self._master is not None and self._outcome is None:
            set_winsize(self._master, rows, cols)
            pgid = self.program_pgid()
            if pgid:
                signal_group_quietly(pgid, signal.SIGWINCH)

    def signal_program(self, signum: int) -> None:
        if self._outcome is None:
            pgid = self.program_pgid()
            if pgid:
                signal_group_quietly(pgid, signum)

    def kill(self) -> None:
        if self._outcome is not None:
            return
        self.killed = True
        with contextlib.suppress(Exception):
            self.kill_tree()

    async def wait(self) -> StepOutcome:
        async with self._wait_lock:
            if self._outcome is None:
                self._outcome = await self._finish()
            return self._outcome

    async def _finish(self) -> StepOutcome:
        assert self._exit_task is not None
        info = await self._exit_task
        wall_ms = int((time.monotonic() - self.started) * 1000)
        if self._watchdog is not None:
            self._watchdog.cancel()
        exit_code, sig, error = await self.finish(info)
        cpu_ms = peak_kb = 0
        oom = False
        if info.rusage is not None:
            cpu_ms = int((info.rusage.ru_utime + info.rusage.ru_stime) * 1000)
            peak_kb = int(info.rusage.ru_maxrss)
        if self.cgroup is not None:
            stats = self.cgroup.stats()
            cpu_ms = stats.cpu_ms if stats.cpu_ms is not None else cpu_ms
            peak_kb = stats.peak_memory_kb if stats.peak_memory_kb is not None else peak_kb
            oom = stats.oom_killed
            if not await self.cgroup.remove():
                error = error or "could not remove the run's cgroup"
        await self.cleanup()
        if self._writer is not None:
            self._writer.abort()
        cpu_limit_ms = self.limits.cpu_seconds * 1000
        cpu_exceeded = self.cpu_exceeded or (
            sig in (signal.SIGXCPU, signal.SIGKILL) and cpu_ms >= cpu_limit_ms * 0.95
        )
        return StepOutcome(
            exit_code=exit_code,
            signal=sig,
            wall_ms=wall_ms,
            cpu_ms=cpu_ms,
            peak_memory_kb=peak_kb,
            oom_killed=oom,
            cpu_exceeded=cpu_exceeded,
            sandbox_error=error,
        )
