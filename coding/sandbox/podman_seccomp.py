"""The podman backend's seccomp profile: podman's default, narrowed by ``policy``.

Podman's default profile (``/usr/share/containers/seccomp.json``) answers ENOSYS to
every call it does not list and allows many that a student program has no use for
(``keyctl``, ``unshare`` with ``CLONE_NEWUSER``, ``mount``...): it is written for
containers that may nest. The profile written here keeps the default's shape and
takes out of it every call the policy governs, then adds the policy's rules, so a
podman run refuses exactly what a bubblewrap run refuses (EPERM, ENOSYS for
``clone3``).

Two facts of libseccomp shape the rules:
- it has no "not equal to any of": "``socket`` unless the family is refused" is
  written as the aligned blocks of values (``arg & mask == datum``) that cover every
  other family, and "``personality`` unless allowed" likewise;
- rules of different actions for one call must not overlap (an unconditional rule
  swallows the conditional ones), so each call's allow and refuse rules are built
  as complements of each other.
Only the host's own architecture is kept (no x86 or x32 sub-architecture): a 32-bit
system call (``int 0x80``) from a 64-bit program is then refused whole rather than
let through a table of numbers the names were not resolved for. The bubblewrap
filter is built for the native architecture only as well.

The profile is derived when the backend first needs it and written, named by its
content's digest, to ``SANDBOX_WORK_ROOT``; a policy or podman upgrade writes a new
one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

from coding.sandbox import policy, workdir

DEFAULT_PROFILE = Path("/usr/share/containers/seccomp.json")
_LOW32 = 0xFFFFFFFF  # personality and socket take 32-bit ints: ignore the upper half
_NATIVE_ARCH = {
    "x86_64": "SCMP_ARCH_X86_64",
    "aarch64": "SCMP_ARCH_AARCH64",
    "ppc64le": "SCMP_ARCH_PPC64LE",
    "s390x": "SCMP_ARCH_S390X",
    "riscv64": "SCMP_ARCH_RISCV64",
}
# The calls whose every rule comes from the policy (the default's are dropped).
_GOVERNED = frozenset({
    *policy.DENIED_SYSCALLS, *policy.ENOSYS_SYSCALLS, "clone", "personality", "socket",
})

Rule = dict[str, Any]


class ProfileUnavailable(Exception):
    """No profile can be derived on this host (the message says why)."""


def masked(index: int, mask: int, datum: int) -> dict[str, Any]:
    return {"index": index, "value": mask, "valueTwo": datum, "op": "SCMP_CMP_MASKED_EQ"}


def blocks_outside(values: set[int], *, width: int = 32) -> list[tuple[int, int]]:
    """``(mask, datum)`` pairs, disjoint, whose matches (``x & mask == datum``) are
    exactly the ``width``-bit numbers not in ``values``: the aligned power-of-two
    blocks of a binary trie that contain none of them."""
    full = (1 << width) - 1
    found: list[tuple[int, int]] = []

    def walk(prefix: int, free_bits: int) -> None:
        low = prefix << free_bits
        inside = [v for v in values if low <= v < low + (1 << free_bits)]
        if not inside:
            found.append((full & ~((1 << free_bits) - 1), low))
        elif free_bits > 0:
            walk(prefix << 1, free_bits - 1)
            walk(prefix << 1 | 1, free_bits - 1)

    walk(0, width)
    return found


def policy_rules(*, flags_index: int = 0) -> list[Rule]:
    """The policy's rules in podman's profile format (``flags_index``: the argument
    that carries clone's flags, 1 on s390x)."""
    eperm = {"action": "SCMP_ACT_ERRNO", "errnoRet": errno.EPERM}
    allow = {"action": "SCMP_ACT_ALLOW"}
    rules: list[Rule] = [
        {"names": sorted(policy.DENIED_SYSCALLS), **eperm},
        {"names": sorted(policy.ENOSYS_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS},
        {"names": ["clone"], **allow, "args": [masked(flags_index, policy.CLONE_NAMESPACE_FLAGS, 0)]},
    ]
    rules += [
        {"names": ["clone"], **eperm, "args": [masked(flags_index, 1 << i, 1 << i)]}
        for i in range(64) if policy.CLONE_NAMESPACE_FLAGS >> i & 1
    ]
    refused_families = set(policy.DENIED_SOCKET_FAMILIES.values())
    rules += [{"names": ["socket"], **eperm, "args": [masked(0, _LOW32, family)]}
              for family in sorted(refused_families)]
    rules += [{"names": ["socket"], **allow, "args": [masked(0, mask, datum)]}
              for mask, datum in blocks_outside(refused_families)]
    allowed = {value & _LOW32 for value in policy.ALLOWED_PERSONALITIES}
    rules += [{"names": ["personality"], **allow, "args": [masked(0, _LOW32, value)]}
              for value in sorted(allowed)]
    rules += [{"names": ["personality"], **eperm, "args": [masked(0, mask, datum)]}
              for mask, datum in blocks_outside(allowed)]
    return rules


def derive(default: dict[str, Any], *, machine: str | None = None) -> dict[str, Any]:
    """Podman's ``default`` profile with every governed call's rules replaced by the
    policy's, for the host's own architecture only."""
    machine = machine or platform.machine()
    arch = _NATIVE_ARCH.get(machine)
    if arch is None:
        raise ProfileUnavailable(f"no seccomp architecture known for {machine}")
    kept: list[Rule] = []
    for rule in default.get("syscalls") or []:
        names = [name for name in rule.get("names") or [] if name not in _GOVERNED]
        if names:
            kept.append({**rule, "names": names})
    profile = {key: value for key, value in default.items() if key not in ("archMap", "architectures")}
    profile["archMap"] = [{"architecture": arch, "subArchitectures": []}]
    profile["syscalls"] = kept + policy_rules(flags_index=1 if machine == "s390x" else 0)
    return profile


def profile_path(default_profile: Path | None = None) -> tuple[Path, str]:
    """The derived profile's file (written on first use), for ``--security-opt seccomp=``,
    and what it was derived from: without podman's default (or with an unreadable one)
    the policy's rules over "allow the rest", which still refuses all the policy does."""
    default_profile = default_profile or DEFAULT_PROFILE
    try:
        default = json.loads(default_profile.read_text())
        origin = f"podman's default profile ({default_profile}) narrowed by the policy"
    except (OSError, ValueError) as exc:
        default = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}
        origin = f"the policy alone, every other call allowed: cannot read {default_profile}: {exc}"
    text = json.dumps(derive(default), indent=1, sort_keys=True) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = workdir.work_root() / f"podman-seccomp-{digest}.json"
    if not path.is_file():
        fd, temporary = tempfile.mkstemp(prefix=".podman-seccomp-", dir=path.parent)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    return path, origin
