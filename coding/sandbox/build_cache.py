"""Compiled programs reused for byte-identical sources.

In a class most students run the same sources at the same moment (the unchanged
starter, a pushed example): 30 javac runs of one hello world cost 30 compiles' CPU
for one result. A successful compile step's /build is kept here, keyed by a hash of
everything that decides it: the language, the compile command as run (flags and
limits expanded), the compiler binary's identity, and every source's name and
bytes. The next run of the same key gets a copy of those files in its own fresh
/build instead of a compile step. A key never matches different sources, and what is
kept was produced by the compiler in the sandbox, from those very sources.

Kept in memory, per server process, least recently used first out, bounded by
SANDBOX_BUILD_CACHE_BYTES (0 turns it off); runs of sources being compiled at that
moment wait for that compile rather than compiling them again. Only regular files and directories are
kept: a /build holding anything else (a symlink, a fifo) is not cached. Reading a
/build and writing one never follow a symlink (coding.sandbox.workdir).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from coding.languages import Language
from coding.sandbox.base import SourceFile
from coding.sandbox.config import setting
from coding.sandbox.workdir import write_files

MAX_FILES = 2000
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


@dataclass(frozen=True)
class Build:
    files: tuple[SourceFile, ...]  # relative names
    executable: frozenset[str]  # the names to restore 0755 (else 0644)
    output: bytes  # what the compile step printed (warnings), replayed on a terminal

    @property
    def size(self) -> int:
        return sum(len(f.content) for f in self.files) + len(self.output) + 256 * len(self.files)


_lock = threading.Lock()
_entries: OrderedDict[str, Build] = OrderedDict()
_bytes = 0


def capacity() -> int:
    return int(setting("SANDBOX_BUILD_CACHE_BYTES"))


def _toolchain(argv: Sequence[str]) -> str:
    """The compiler binary's identity: an upgraded compiler makes new keys."""
    try:
        info = os.stat(os.path.realpath(argv[0]))
    except (OSError, IndexError):
        return "?"
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def key(language: Language, argv: Sequence[str], sources: Sequence[SourceFile]) -> str:
    digest = hashlib.sha256()
    for part in (language.name, _toolchain(argv), *argv):
        digest.update(part.encode() + b"\0")
    for source in sources:
        digest.update(f"{source.name}\0{len(source.content)}\0".encode())
        digest.update(source.content)
    return digest.hexdigest()


def get(build_key: str) -> Build | None:
    with _lock:
        build = _entries.get(build_key)
        if build is not None:
            _entries.move_to_end(build_key)
        return build


def put(build_key: str, build: Build) -> None:
    global _bytes
    limit = capacity()
    if build.size > limit:
        return
    with _lock:
        old = _entries.pop(build_key, None)
        if old is not None:
            _bytes -= old.size
        _entries[build_key] = build
        _bytes += build.size
        while _bytes > limit and _entries:
            _, evicted = _entries.popitem(last=False)
            _bytes -= evicted.size


# Compiles under way in this process, by key: a run whose sources are being compiled by
# another run right now waits for that compile instead of starting its own (a class
# pressing Run at once on the same starter compiles it once, not once per slot).
_flights: dict[str, asyncio.Future[None]] = {}


def lead_or_follow(build_key: str) -> asyncio.Future[None] | None:
    """None: no one compiles these sources now, the caller does (and calls `landed`
    when done, whatever happened); else the compile to wait for."""
    flight = _flights.get(build_key)
    if flight is not None and not flight.done():
        return flight
    _flights[build_key] = asyncio.get_running_loop().create_future()
    return None


def landed(build_key: str) -> None:
    flight = _flights.pop(build_key, None)
    if flight is not None and not flight.done():
        flight.set_result(None)


def clear() -> None:
    global _bytes
    with _lock:
        _entries.clear()
        _bytes = 0


def read(directory: str, *, output: bytes, max_bytes: int) -> Build | None:
    """The regular files under `directory` (relative names), or None when it holds
    anything else or more than `max_bytes` / MAX_FILES. Blocking."""
    files: list[SourceFile] = []
    executable: set[str] = set()
    total = 0
    stack: list[tuple[int, str]] = [(os.open(directory, _DIR_FLAGS), "")]
    try:
        while stack:
            dir_fd, prefix = stack.pop()
            try:
                for entry in os.scandir(dir_fd):
                    name = prefix + entry.name
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISDIR(info.st_mode):
                        stack.append((os.open(entry.name, _DIR_FLAGS, dir_fd=dir_fd), name + "/"))
                        continue
                    if not stat.S_ISREG(info.st_mode) or len(files) >= MAX_FILES:
                        return None
                    content = _read_file(entry.name, dir_fd, max_bytes - total)
                    if content is None:
                        return None
                    total += len(content)
                    files.append(SourceFile(name, content))
                    if info.st_mode & 0o111:
                        executable.add(name)
            finally:
                os.close(dir_fd)
    except OSError:
        return None
    finally:
        for fd, _ in stack:
            with contextlib.suppress(OSError):
                os.close(fd)
    return Build(tuple(sorted(files, key=lambda f: f.name)), frozenset(executable), output)


def _read_file(name: str, dir_fd: int, room: int) -> bytes | None:
    fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 16):
            size += len(chunk)
            if size > room:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def restore(build: Build, directory: str) -> None:
    """Write `build`'s files into a fresh, empty `directory`. Blocking."""
    write_files(directory, [f for f in build.files if f.name in build.executable], mode=0o755)
    write_files(directory, [f for f in build.files if f.name not in build.executable], mode=0o644)
