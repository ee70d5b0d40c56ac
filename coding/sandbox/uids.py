"""A host uid of its own for every concurrent bubblewrap run, as isolate gives each box one.

The kernel keeps much per uid, not per process or namespace: the key quota and
``/proc/key-users``, ``RLIMIT_NPROC``'s count, inotify, pipe-buffer and user-namespace
counters. Runs sharing one uid share all of them (a channel between students, or one
student exhausting a counter for everyone). So each sandbox runs as
``SANDBOX_UID_BASE + slot`` (gid the same number), and a slot belongs to one sandbox at
a time on the whole machine: several server processes claim slots through ``flock`` on
one lock file per slot in ``SANDBOX_UID_LOCK_DIR`` (a directory every process of the
machine sees: ``/run``, not a private ``/tmp``). The kernel drops a lock when its
holder exits, so a crashed server frees its slots by itself.

A slot is held from the sandbox's start (a warm sandbox's too) until every process of
it is gone; a compile step and the run step after it share the run's slot (the run's
``/build`` belongs to that uid). Only a root server can run sandboxes as other uids;
otherwise they all run as the server's uid, and the protections report says so.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import threading
from pathlib import Path

from coding.sandbox.base import SandboxError
from coding.sandbox.config import setting


class UidSlot:
    """One claimed uid; :meth:`release` gives it back (idempotent)."""

    def __init__(self, pool: UidPool, index: int, fd: int) -> None:
        self._pool = pool
        self.index = index
        self.uid = self.gid = pool.base + index
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            self._pool.released(self.index)
            os.close(fd)  # closing the last descriptor drops the flock

    def __repr__(self) -> str:
        return f"UidSlot(uid={self.uid}, held={self.held})"


class UidPool:
    """The machine's range ``[base, base + count)``, claimed slot by slot."""

    def __init__(self, *, base: int, count: int, lock_dir: str) -> None:
        if base < 1000 or count < 1 or base + count > 0xFFFFFFFE:
            raise SandboxError(
                f"SANDBOX_UID_BASE {base} + SANDBOX_UID_COUNT {count} is not a usable uid range "
                "(base at least 1000, end below 4294967294)"
            )
        self.base, self.count, self.lock_dir = base, count, Path(lock_dir)
        self._mine: set[int] = set()  # held by this process (no need to try them)
        self._next = os.getpid() % count  # processes start their scans apart
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> UidPool:
        return cls(base=int(setting("SANDBOX_UID_BASE")), count=int(setting("SANDBOX_UID_COUNT")),
                   lock_dir=str(setting("SANDBOX_UID_LOCK_DIR")))

    def describe(self) -> str:
        return (f"host uids {self.base}-{self.base + self.count - 1}, one per sandbox "
                f"(slots locked in {self.lock_dir})")

    def _directory(self) -> int:
        """The lock directory, made 0700; it must be root's (or ours) and nobody else's
        to write, as a planted one would let another user hold or fake our slots."""
        try:
            self.lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.lock_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise SandboxError(f"cannot use SANDBOX_UID_LOCK_DIR {self.lock_dir}: {exc}") from exc
        info = os.fstat(fd)
        if info.st_uid != os.geteuid() or info.st_mode & 0o022 or not stat.S_ISDIR(info.st_mode):
            os.close(fd)
            raise SandboxError(
                f"SANDBOX_UID_LOCK_DIR {self.lock_dir} must be a directory owned by uid "
                f"{os.geteuid()} that no one else can write"
            )
        return fd

    def claim(self) -> UidSlot:
        """A free slot of the machine; :class:`SandboxError` when all are taken."""
        directory = self._directory()
        try:
            with self._lock:
                start = self._next
                self._next = (start + 1) % self.count
                candidates = [(start + i) % self.count for i in range(self.count)]
                candidates = [index for index in candidates if index not in self._mine]
            for index in candidates:
                fd = self._try(directory, index)
                if fd is not None:
                    with self._lock:
                        if index in self._mine:  # another thread of ours got it first
                            os.close(fd)
                            continue
                        self._mine.add(index)
                    return UidSlot(self, index, fd)
        finally:
            os.close(directory)
        raise SandboxError(
            f"all {self.count} sandbox uids (SANDBOX_UID_COUNT) are in use on this machine"
        )

    @staticmethod
    def _try(directory: int, index: int) -> int | None:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(f"slot-{index}", flags, 0o600, dir_fd=directory)
        except OSError as exc:
            raise SandboxError(f"cannot open the lock of sandbox uid slot {index}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError:
            os.close(fd)
            raise
        return fd

    def released(self, index: int) -> None:
        with self._lock, contextlib.suppress(KeyError):
            self._mine.remove(index)

    def held_here(self) -> int:
        with self._lock:
            return len(self._mine)
