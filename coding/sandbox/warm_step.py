"""One warm bubblewrap sandbox: started in advance with the launcher as its program,
then claimed by exactly one run, which sends it the files, argv and environment.

The sandbox is a normal bubblewrap step (same options, cgroup, rlimits, uid, stdio)
whose program is ``observer-launcher`` (``launcher.c``), run from a sealed memfd
through ``/proc/self/fd`` so no file of it is visible inside. The request it reads is
length-prefixed (see :func:`encode_request`); the launcher writes the files into its
own ``/work`` tmpfs as the sandbox uid (the host never writes where the sandbox can
reach), lowers the rlimits to the run's, closes every descriptor but 0-2 and execs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from coding.sandbox.base import SourceFile, StepSpec
from coding.sandbox.bubblewrap import BubblewrapStep
from coding.sandbox.processes import ExitInfo, set_winsize, signal_group_quietly, signal_quietly
from coding.sandbox.spawn import SpawnPlan

# The launcher's bounds (launcher.c); a run beyond them starts cold instead.
MAX_LIMITS, MAX_FILES, MAX_NAME, MAX_FILE_SIZE = 16, 256, 1024, 256 * 1024 * 1024
MAX_ARGS, MAX_ARG, MAX_ENV = 256, 65536, 256
_U32 = struct.Struct("<I")
_RLIMIT = struct.Struct("<IQQ")
_RLIM_MASK = (1 << 64) - 1  # resource.RLIM_INFINITY is -1 in Python, ~0 in C
_MFD_EXEC = 0x0010  # kernel 6.3+: an executable memfd even under vm.memfd_noexec=1


def load_launcher(path: Path) -> int:
    """A sealed, executable memfd holding the launcher (OSError if unusable)."""
    data = path.read_bytes()
    flags = os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING
    try:
        fd = os.memfd_create("observer-launcher", flags | _MFD_EXEC)
    except OSError:
        fd = os.memfd_create("observer-launcher", flags)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, 0o555)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                    fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
    except OSError:
        os.close(fd)
        raise
    return fd


@dataclass(frozen=True)
class PoolKey:
    """What a warm sandbox fixes before it knows its run: its mounts (the language's
    binds and runtimes, the tmpfs size) and its stdio. Limits are set at claim."""

    binds: tuple[str, ...]
    needs_runtimes: bool
    file_size_bytes: int
    tty: bool


def pool_key(spec: StepSpec) -> PoolKey | None:
    """The key for ``spec``, or None when it needs a per-run host directory (/build)."""
    if spec.build_dir is not None:
        return None
    return PoolKey(tuple(spec.binds), spec.needs_runtimes, spec.limits.file_size_bytes, spec.tty)


def _blob(data: bytes, limit: int, what: str) -> bytes:
    if len(data) > limit or (b"\0" in data and what != "file"):
        raise ValueError(f"{what} is beyond what the launcher accepts")
    return _U32.pack(len(data)) + data


def encode_request(files: Sequence[SourceFile], argv: Sequence[str], env: Mapping[str, str],
                   rlimits: Sequence[tuple[int, int, int]]) -> bytes:
    """The launcher's request; ValueError if it would refuse it."""
    if len(rlimits) > MAX_LIMITS or len(files) > MAX_FILES or not 0 < len(argv) <= MAX_ARGS \
            or len(env) > MAX_ENV:
        raise ValueError("the run is beyond what the launcher accepts")
    parts = [b"OBL1", _U32.pack(len(rlimits))]
    parts += [_RLIMIT.pack(which, soft & _RLIM_MASK, hard & _RLIM_MASK) for which, soft, hard in rlimits]
    parts.append(_U32.pack(len(files)))
    for source in files:
        parts += [_blob(source.name.encode(), MAX_NAME, "file name"),
                  _blob(source.content, MAX_FILE_SIZE, "file")]
    parts.append(_U32.pack(len(argv)))
    parts += [_blob(arg.encode(), MAX_ARG, "argument") for arg in argv]
    parts.append(_U32.pack(len(env)))
    parts += [_blob(f"{key}={value}".encode(), MAX_ARG, "variable") for key, value in env.items()]
    return b"".join(parts)


def fits(wanted: Sequence[tuple[int, int, int]], made: Sequence[tuple[int, int, int]]) -> bool:
    """Whether a sandbox made with rlimits ``made`` can lower them to ``wanted`` (an
    unprivileged process can lower a hard limit, never raise it)."""
    hard = {which: limit for which, _soft, limit in made}
    return set(hard) == {which for which, _s, _h in wanted} and all(
        limit <= hard[which] for which, _soft, limit in wanted
    )


class WarmStep(BubblewrapStep):
    """A bubblewrap step whose program is the launcher until a run claims it."""

    def __init__(self, plan: SpawnPlan, status_fd: int, control: socket.socket, key: PoolKey,
                 rlimits: Sequence[tuple[int, int, int]]) -> None:
        super().__init__(plan, status_fd)
        self.control = control
        self.key = key
        self.made = time.monotonic()
        self.made_rlimits = tuple(rlimits)  # what the launcher starts with
        self.claimed = False

    def wait_ready(self, timeout: float) -> str:
        """Blocking: '' once the launcher waits for its run (and bwrap has reported the
        sandbox's init), else why not."""
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(self.control.fileno(), select.POLLIN)
        if not poller.poll(timeout * 1000):
            return f"the sandbox was not ready within {timeout:g} s"
        try:
            ready = self.control.recv(1)
        except OSError:
            ready = b""
        if ready != b"R":
            return f"bubblewrap could not create the sandbox: {self._early_output() or 'no message'}"
        while self.init_pid is None:
            self._read_status()
            if self.init_pid is None:
                if time.monotonic() > deadline or self._status_fd < 0:
                    return "bubblewrap did not report the sandbox's init"
                select.select([self._status_fd], [], [], 0.01)
        self.control.setblocking(False)
        return ""

    def _init_gone_now(self) -> bool:
        """Blocking (a worker thread): whether the sandbox's init has exited."""
        if self._init_pidfd is None:
            return self.init_pid is None
        return bool(select.select([self._init_pidfd], [], [], 2.0)[0])

    def _early_output(self) -> str:
        chunks = []
        for _name, reader in self._streams:
            if reader.fd is not None:
                with contextlib.suppress(OSError):
                    chunks.append(os.read(reader.fd, 4096))
        return b"".join(chunks).decode(errors="replace").strip()[-300:]

    def idle_alive(self) -> bool:
        """Whether the unclaimed sandbox is still waiting (its launcher says nothing
        until it is used, so anything readable on the control socket is its end)."""
        try:
            if os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return False
        except ChildProcessError:
            return False
        poller = select.poll()
        poller.register(self.control.fileno(), select.POLLIN)
        return not poller.poll(0)

    def begin(self, rows: int, cols: int) -> None:
        """The claim: the run's clock, terminal size and exit watch start now, on the
        claiming loop (the cgroup's accounting was restarted just before)."""
        self.claimed = True
        if self._master is not None:
            set_winsize(self._master, rows, cols)
        self.started = time.monotonic()
        self.watch()

    async def finish(self, info: ExitInfo) -> tuple[int | None, int | None, str]:
        code, sig, error = await super().finish(info)
        try:
            said = self.control.recv(4096)
        except OSError:
            said = b""
        self.control.close()
        if said.startswith(b"E") and not error:
            error = f"the warm sandbox could not start the program: {said[1:].decode(errors='replace')}"
        return code, sig, error

    def destroy_blocking(self) -> None:
        """Kill and reap an unclaimed (or half-made) warm sandbox and remove its cgroup,
        as a finished step is swept. For worker threads: it blocks until done."""
        if self.pid > 0:
            self.kill_tree()
            deadline = time.monotonic() + 5
            while True:
                try:
                    exited = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                except ChildProcessError:
                    break
                if exited is not None:
                    signal_group_quietly(self.pid, signal.SIGKILL)  # a zombie: its pid is still ours
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(self.pid, 0)
                    break
                if time.monotonic() > deadline:
                    signal_quietly(self.pid, signal.SIGKILL)
                time.sleep(0.002)
        # Nothing may run as its uid any more before the uid is given back: bwrap's init
        # (and with it its pid namespace) must be gone too, else the uid stays reserved.
        init_gone = self.pid <= 0 or self._init_gone_now()
        self._close_init_pidfd()
        self.close_status()
        self.release()
        self.control.close()
        if self.cgroup is not None:
            self.cgroup.remove_blocking()
        self.release_slot(safe=init_gone)
