"""The installed seccomp filter (``bwrap --seccomp FD``) and its checks.

``scripts/install`` builds ``observer-seccomp-gen`` (``seccomp_gen.c``, against
libseccomp) and runs it on :func:`coding.sandbox.policy.seccomp_rules`, writing the BPF
program to ``SANDBOX_SECCOMP_FILTER`` and the policy's digest beside it (``.sha256``).
A filter that is missing, writable by others, malformed, or built from another version
of the policy is refused with the reason and the fix: bubblewrap then starts no
sandbox at all (never one without the filter).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from coding.sandbox import policy, workdir
from coding.sandbox.config import setting

_BPF_INSTRUCTION = 8  # struct sock_filter
_MAX_INSTRUCTIONS = 4096  # BPF_MAXINSNS: the kernel refuses longer programs
_FIX = "run scripts/install (it builds the filter with libseccomp: apt-get install gcc libseccomp-dev)"


@dataclass(frozen=True)
class Filter:
    """A checked filter: its BPF program, or why there is none."""

    program: bytes
    problem: str
    path: str

    @property
    def usable(self) -> bool:
        return not self.problem

    def describe(self) -> str:
        if self.problem:
            return self.problem
        return (f"{len(self.program) // _BPF_INSTRUCTION} BPF instructions from {self.path}: "
                f"{len(policy.DENIED_SYSCALLS)} calls refused outright, clone/socket/personality "
                "by argument, clone3 ENOSYS, calls of other ABIs (i386, x32) kill the process")

    def memfd(self) -> int:
        """A descriptor to hand to one bwrap (it reads it to the end)."""
        return workdir.memfd_with(self.program, "observer-seccomp")


def load(path: str | None = None) -> Filter:
    """The filter at ``path`` (default ``SANDBOX_SECCOMP_FILTER``), checked."""
    path = path or str(setting("SANDBOX_SECCOMP_FILTER"))

    def refused(why: str) -> Filter:
        return Filter(b"", f"no usable seccomp filter at {path} ({why}); {_FIX}", path)

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        return refused(exc.strerror or str(exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022 or info.st_uid not in (0, os.geteuid()):
            return refused("not a regular file owned by root or the server and writable by no one else")
        program = os.read(fd, _MAX_INSTRUCTIONS * _BPF_INSTRUCTION + 1)
    finally:
        os.close(fd)
    if not program or len(program) % _BPF_INSTRUCTION or len(program) > _MAX_INSTRUCTIONS * _BPF_INSTRUCTION:
        return refused(f"{len(program)} bytes is not a BPF program")
    try:
        digest = Path(f"{path}.sha256").read_text().strip()
    except OSError as exc:
        return refused(f"its policy digest {path}.sha256: {exc.strerror or exc}")
    if digest != policy.seccomp_digest():
        return refused("built from another version of coding/sandbox/policy.py")
    return Filter(program, "", path)
