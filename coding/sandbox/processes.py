"""Process plumbing shared by the process-based backends.

Non-blocking pipe and PTY I/O on the asyncio loop, exit notification through a pidfd
(so no child watcher thread per run and we get the rusage of the reaped process),
and signalling helpers. Nothing here knows about sandboxes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import pty
import resource
import signal
import struct
import termios
import tty
from collections.abc import Callable
from dataclasses import dataclass

READ_CHUNK = 65536
# How often a wait for a child's exit looks again without being told (see wait_pid).
EXIT_RECHECK_SECONDS = 1.0
_MAX_SIGNAL = 64


async def readable(fd: int) -> None:
    """Until ``fd`` is readable (or, for a pidfd, its process has exited)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not future.done():
            future.set_result(None)

    loop.add_reader(fd, ready)
    try:
        await future
    finally:
        loop.remove_reader(fd)


class ChunkReader:
    """Chunks from a non-blocking pipe or PTY master until EOF, then closes the fd.

    It reads only when the consumer asks for the next chunk, so a program flooding
    its output is held back by the pipe instead of filling memory.
    """

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def __aiter__(self) -> ChunkReader:
        return self

    async def __anext__(self) -> bytes:
        while self.fd is not None:
            try:
                data = os.read(self.fd, READ_CHUNK)
            except BlockingIOError:
                await readable(self.fd)
                continue
            except OSError as exc:
                if exc.errno != errno.EIO:  # EIO on a PTY: every slave end is closed
                    self.close()
                    raise
                data = b""
            if data:
                return data
            self.close()
        raise StopAsyncIteration

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


class InputWriter:
    """Writes to a non-blocking pipe or PTY without ever blocking the loop."""

    def __init__(self, fd: int, *, tty: bool) -> None:
        self.fd: int | None = fd
        self.tty = tty
        self.pending = bytearray()
        self.closing = False
        self._writer_added = False
        os.set_blocking(fd, False)

    def write(self, data: bytes) -> None:
        if self.fd is None or self.closing or not data:
            return
        self.pending += data
        self._flush()

    def close(self) -> None:
        """EOF: on a PTY, the EOF character (Ctrl+D); on a pipe, close after flushing."""
        if self.fd is None:
            return
        if self.tty:
            self.write(b"\x04")
            return
        self.closing = True
        self._flush()

    def _flush(self) -> None:
        fd = self.fd
        if fd is None:
            return
        while self.pending:
            try:
                written = os.write(fd, self.pending)
            except BlockingIOError:
                if not self._writer_added:
                    asyncio.get_running_loop().add_writer(fd, self._flush)
                    self._writer_added = True
                return
            except OSError:  # the program is gone or closed its stdin
                self.pending.clear()
                self.closing = True
                break
            del self.pending[:written]
        if self._writer_added:
            asyncio.get_running_loop().remove_writer(fd)
            self._writer_added = False
        if self.closing:
            self.abort()

    def abort(self) -> None:
        if self.fd is None:
            return
        if self._writer_added:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_writer(self.fd)
            self._writer_added = False
        # On a PTY this is the writer's own dup of the master (its reader closes the other).
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.fd = None
        self.pending.clear()


def open_pty(rows: int, cols: int, *, raw: bool = False) -> tuple[int, int]:
    """``(master, slave)``; the master is non-blocking and close-on-exec.

    ``raw`` is for a client that relays to a terminal of its own (podman -t): then only
    the far terminal may echo and interpret Ctrl+C, even before the client starts.
    """
    master, slave = pty.openpty()
    set_winsize(master, rows, cols)
    os.set_blocking(master, False)
    os.set_inheritable(master, False)
    if raw:
        tty.setraw(slave, termios.TCSANOW)
    else:
        attrs = termios.tcgetattr(slave)
        attrs[1] |= termios.ONLCR  # oflag: \n -> \r\n, as a terminal expects
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
    return master, slave


def set_winsize(fd: int, rows: int, cols: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


@dataclass(frozen=True)
class ExitInfo:
    exit_code: int | None
    signal: int | None
    rusage: resource.struct_rusage | None


def decode_status(status: int) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


async def wait_pid(pid: int, before_reap: Callable[[], None] | None = None) -> ExitInfo:
    """Wait for our child ``pid`` without blocking the loop; reap it with rusage.

    ``before_reap`` runs once the child has exited but is still a zombie, while its
    pid (and so its process group id) cannot have been reused yet.
    """
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        pidfd = None
    try:
        while True:
            if before_reap is not None:
                try:
                    exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)  # noqa: ASYNC222
                except ChildProcessError:
                    exited = None
                if exited is not None:
                    before_reap()
                    before_reap = None
            try:
                reaped, status, usage = os.wait4(pid, os.WNOHANG)  # noqa: ASYNC222 - never blocks
            except ChildProcessError:
                return ExitInfo(None, None, None)
            if reaped == pid:
                code, sig = decode_status(status)
                return ExitInfo(code, sig, usage)
            if pidfd is not None:
                # Looked at again every second even if the loop never says the pidfd is
                # readable: a registration lost to an fd number reused under the
                # selector would otherwise leave the child a zombie and its run waiting
                # for good (seen once in CI, on a loaded machine: a Ctrl+C'd run whose
                # bwrap had exited, never reaped).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(readable(pidfd), EXIT_RECHECK_SECONDS)
            else:  # pragma: no cover - kernels before 5.3
                await asyncio.sleep(0.01)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def signal_quietly(pid: int, signum: int) -> None:
    if pid > 0:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def signal_group_quietly(pgid: int, signum: int) -> None:
    if pgid > 1:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)


def children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except (OSError, ValueError):
        return []


def shell_exit_code_as_signal(code: int | None) -> tuple[int | None, int | None]:
    """bwrap and podman report a program killed by signal N as exit code 128 + N."""
    if code is not None and 128 < code <= 128 + _MAX_SIGNAL:
        with contextlib.suppress(ValueError):
            return None, signal.Signals(code - 128).value
    return code, None
