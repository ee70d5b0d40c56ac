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


@dataclasses.dataclass(frozen=True)
class Protection:
    """One defence as applied on this host: ``active``, or ``degraded`` with the reason."""

    name: str
    state: Literal["active", "degraded", "off"]
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "state": self.state, "detail": self.detail}
