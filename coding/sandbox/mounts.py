"""A size- and inode-limited tmpfs on the host: the quota of a run's ``/build``.

A compile step writes its output to a per-run host directory (mounted at ``/build``);
as a plain directory under ``/var/tmp`` only the per-file size limit bounded it, so a
compiler (or a program run as one) could fill the host's disk file after file. Mounted
as its own tmpfs, the directory holds at most ``SANDBOX_BUILD_BYTES`` and
``SANDBOX_BUILD_INODES`` files, kept in RAM (pages charged to the memory cgroup of the
step that wrote them), and vanishes with its unmount. Mounting needs root (CAP_SYS_ADMIN);
without it the directory stays plain and the protections report says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_MS_NOSUID, _MS_NODEV = 0x2, 0x4
_MNT_DETACH = 0x2
_UMOUNT_NOFOLLOW = 0x8
_libc: ctypes.CDLL | None = None


def _c() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def can_mount() -> bool:
    return os.geteuid() == 0


def mount_tmpfs(path: str, *, size: int, inodes: int, uid: int, gid: int) -> None:
    """Mount a fresh tmpfs over ``path`` (an empty directory of ours), owned by
    ``uid``/``gid``, mode 0700; OSError if the kernel refuses."""
    options = f"size={size},nr_inodes={inodes},mode=0700,uid={uid},gid={gid}".encode()
    if _c().mount(b"observer-build", os.fsencode(path), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount tmpfs on {path}: {os.strerror(error)}")


def unmount(path: str) -> None:
    """Detach the mount at ``path`` (its files go with it); a path that is not a
    mount point is left alone."""
    if _c().umount2(os.fsencode(path), _MNT_DETACH | _UMOUNT_NOFOLLOW) != 0:
        error = ctypes.get_errno()
        if error not in (22, 2):  # EINVAL: not a mount point; ENOENT: gone
            raise OSError(error, f"umount {path}: {os.strerror(error)}")


def is_mount(path: str) -> bool:
    return os.path.ismount(path)
