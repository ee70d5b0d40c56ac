"""What a sandboxed program may not ask the kernel for: one policy for every backend.

bubblewrap runs get it as a seccomp BPF program (``bwrap --seccomp FD``), podman runs
as a profile derived from podman's default (``--security-opt seccomp=FILE``); both are
built from the declarations below, so the two backends refuse the same calls. The list
closes what nsjail, isolate and Docker's default profile close and a sandbox review
found open here (see docs/sandbox.md, "What the sandbox promises"). Refusals answer
EPERM (a program sees an ordinary permission error), except ``clone3``, which answers
ENOSYS: its flags sit in a struct seccomp cannot read, and ENOSYS makes the C library
fall back to ``clone``, whose flags the filter can check.

Also here: :class:`Protection`, one line of the report that ``sandbox check`` and the
health view print, so an operator sees which defences are active on a host and which
could not be applied (degraded, never silently skipped).
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
from typing import Literal

# Refused outright with EPERM.
DENIED_SYSCALLS: tuple[str, ...] = (
    # the kernel keyring: one shared keyring per host uid is a channel between runs
    "keyctl",
    "add_key",
    "request_key",
    # large, often-exploited kernel interfaces a student program never needs
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "perf_event_open",
    "bpf",
    # looking into or steering other processes
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    # namespaces and mounts
    "setns",
    "unshare",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    # the host itself
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "quotactl",
    "lookup_dcookie",
    "open_by_handle_at",
    "name_to_handle_at",
    "vhangup",
)

# Answered ENOSYS (the caller falls back to an older call the filter can inspect).
ENOSYS_SYSCALLS: tuple[str, ...] = ("clone3",)

# clone(2) flags that create namespaces: a clone carrying any of them is refused (EPERM).
CLONE_NAMESPACE_FLAGS = (
    0x00000080  # CLONE_NEWTIME
    | 0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
)

# personality(2) values a program may set: PER_LINUX, and 0xffffffff (a query that
# changes nothing, used by the C library). Everything else (ADDR_NO_RANDOMIZE, ...) EPERM.
ALLOWED_PERSONALITIES: tuple[int, ...] = (0x0, 0xFFFFFFFF)

# socket(2) address families refused with EPERM (the first argument). The network
# namespace is empty already; these reach kernel subsystems (netfilter, raw packets,
# the hypervisor socket, the key and crypto APIs) without any network.
DENIED_SOCKET_FAMILIES: dict[str, int] = {
    "AF_NETLINK": 16,
    "AF_PACKET": 17,
    "AF_KEY": 15,
    "AF_VSOCK": 40,
    "AF_ALG": 38,
}


_LOW32 = 0xFFFFFFFF  # the kernel reads these arguments as 32-bit ints: ignore the rest


def seccomp_rules() -> list[str]:
    """The policy as ``observer-seccomp-gen``'s input (``seccomp_gen.c``): one refusal a
    line, ``ERRNO SYSCALL`` or ``ERRNO SYSCALL ARG MASK DATUM`` (refused when
    ``arg & MASK == DATUM``; libseccomp has no "not equal", so each "anything but"
    becomes several such rules)."""
    eperm, enosys = errno.EPERM, errno.ENOSYS
    rules = [f"{eperm} {name}" for name in DENIED_SYSCALLS]
    rules += [f"{enosys} {name}" for name in ENOSYS_SYSCALLS]
    rules += [f"{eperm} clone 0 {bit:#x} {bit:#x}" for bit in _bits(CLONE_NAMESPACE_FLAGS)]
    rules += [f"{eperm} socket 0 {_LOW32:#x} {family}" for family in DENIED_SOCKET_FAMILIES.values()]
    rules += [f"{eperm} personality 0 {mask:#x} {datum:#x}" for mask, datum in _personality_refusals()]
    return rules


def _bits(value: int) -> list[int]:
    return [1 << bit for bit in range(64) if value >> bit & 1]


def _personality_refusals() -> list[tuple[int, int]]:
    """(mask, datum) pairs that together match every 32-bit personality except 0
    (PER_LINUX) and 0xffffffff (the query): with bit 31 clear, any other bit set; with
    bit 31 set, any other bit clear."""
    if sorted(ALLOWED_PERSONALITIES) != [0, _LOW32]:
        raise ValueError("the seccomp rules express only PER_LINUX and the query as allowed")
    top = 1 << 31
    refusals = [(top | 1 << bit, 1 << bit) for bit in range(31)]
    refusals += [(top | 1 << bit, top) for bit in range(31)]
    return refusals


def seccomp_rules_text() -> str:
    return "".join(f"{rule}\n" for rule in seccomp_rules())


def seccomp_digest() -> str:
    """What an installed filter must have been built from (scripts/install writes it
    beside the filter; a server whose policy changed since refuses the old filter)."""
    return hashlib.sha256(seccomp_rules_text().encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Protection:
    """One defence as applied on this host: ``active``, or ``degraded`` with the reason."""

    name: str
    state: Literal["active", "degraded", "off"]
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "state": self.state, "detail": self.detail}

