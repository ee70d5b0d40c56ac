"""Host-side directories of runs: created private, written without following
symlinks, removed without following symlinks.

A sandboxed program can plant symlinks in any directory it can write. The host
therefore only ever touches such directories through directory file descriptors with
``O_NOFOLLOW`` (and ``shutil.rmtree``'s fd-based walk on removal), so a planted
``main.py -> /etc/passwd`` makes the write fail instead of clobbering a host file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from coding.sandbox import mounts
from coding.sandbox.base import SandboxError, SourceFile
from coding.sandbox.config import setting

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def work_root() -> Path:
    """The root of per-run host directories, created 0711 on first use.

    It usually sits in a world-writable directory (/tmp, /var/tmp), so it must be a
    real directory owned by us that nobody else can write: otherwise another local
    user could have planted it (or a symlink) to redirect our writes.
    """
    root = Path(setting("SANDBOX_WORK_ROOT"))
    try:
        root.mkdir(mode=0o711, parents=True, exist_ok=True)
        info = os.lstat(root)
    except OSError as exc:
        raise SandboxError(f"cannot create SANDBOX_WORK_ROOT {root}: {exc}") from exc
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise SandboxError(
            f"SANDBOX_WORK_ROOT {root} must be a directory owned by uid {os.geteuid()} that "
            "no one else can write (not a symlink)"
        )
    return root


def make_private_dir(prefix: str, *, owner: tuple[int, int] | None = None) -> str:
    """A new 0700 directory under the work root, optionally given to ``owner``.

    Its name carries the server's pid so :func:`sweep_stale` can tell a crashed
    server's leftovers from a live one's."""
    path = tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=work_root())
    if owner is not None:
        os.chown(path, *owner)
    return path


def memfd_with(content: bytes, name: str) -> int:
    """A sealed-off in-memory file holding ``content``, positioned at its start: what a
    sandbox reads its sources (and bwrap its seccomp program) from, never a host path."""
    fd = os.memfd_create(name[:200], os.MFD_CLOEXEC)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd


def write_files(directory: str, files: Iterable[SourceFile], *, mode: int = 0o644) -> None:
    """Create ``files`` (relative names) inside ``directory``; never follows a symlink
    and never overwrites: an existing name, or a symlink anywhere on the path, fails."""
    root_fd = os.open(directory, _DIR_FLAGS)
    try:
        for source in files:
            parts = source.name.split("/")
            dir_fd = os.dup(root_fd)
            try:
                for part in parts[:-1]:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o755, dir_fd=dir_fd)
                    next_fd = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
                    os.close(dir_fd)
                    dir_fd = next_fd
                fd = os.open(parts[-1], _FILE_FLAGS, mode, dir_fd=dir_fd)
                try:
                    view = memoryview(source.content)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
            finally:
                os.close(dir_fd)
    finally:
        os.close(root_fd)


def remove_tree(path: str) -> None:
    """Remove a run directory; symlinks inside are unlinked, never followed."""
    if not shutil.rmtree.avoids_symlink_attacks:  # pragma: no cover - Linux has it
        raise SandboxError("this platform cannot remove directories safely")
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    except OSError:
        # A program may have left a directory without write permission; make every
        # directory writable through O_NOFOLLOW descriptors, then retry.
        _make_dirs_writable(path)
        shutil.rmtree(path, ignore_errors=True)


def _make_dirs_writable(path: str) -> None:
    try:
        fd = os.open(path, _DIR_FLAGS)
    except OSError:
        return
    stack = [fd]
    while stack:
        fd = stack.pop()
        try:
            os.fchmod(fd, 0o700)
            for entry in os.scandir(fd):
                if entry.is_dir(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        stack.append(os.open(entry.name, _DIR_FLAGS, dir_fd=fd))
        except OSError:
            pass
        finally:
            os.close(fd)


def sweep_stale() -> int:
    """Remove run directories left by server processes that no longer exist."""
    removed = 0
    try:
        entries = list(os.scandir(work_root()))
    except (OSError, SandboxError):
        return 0
    for entry in entries:
        parts = entry.name.split("-")
        if len(parts) < 3 or not parts[1].isdigit() or not entry.is_dir(follow_symlinks=False):
            continue
        if int(parts[1]) == os.getpid() or os.path.exists(f"/proc/{parts[1]}"):
            continue
        if mounts.is_mount(entry.path):  # a /build quota tmpfs (coding/sandbox/mounts.py)
            with contextlib.suppress(OSError):
                mounts.unmount(entry.path)
        remove_tree(entry.path)
        removed += 1
    return removed
