"""The podman profile derived from podman's default and the policy, without podman:
which rules it drops and adds, and that each argument-checked call's allow and refuse
rules never overlap and leave no value to the default action (libseccomp lets an
unconditional rule swallow conditional ones, and has no "not equal to any of")."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from coding.sandbox import podman_seccomp
from coding.sandbox.podman import PodmanBackend
from coding.sandbox.policy import (
    ALLOWED_PERSONALITIES,
    CLONE_NAMESPACE_FLAGS,
    DENIED_SOCKET_FAMILIES,
    DENIED_SYSCALLS,
)

DEFAULT = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": errno.ENOSYS,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [
        {"names": ["read", "write", "keyctl", "unshare", "clone", "clone3", "socket"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["bpf", "setns"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    ],
}


@pytest.mark.parametrize("values", [set(), {0}, {255}, {0, 255}, {15, 16, 17, 38, 40}, {3, 4, 5, 200}])
def test_it_covers_exactly_the_values_outside_a_set(values: set[int]) -> None:
    blocks = podman_seccomp.blocks_outside(values, width=8)
    for x in range(256):
        matches = [(mask, datum) for mask, datum in blocks if x & mask == datum]
        assert len(matches) == (0 if x in values else 1), (x, matches)


def rules_for(profile: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [rule for rule in profile["syscalls"] if name in rule["names"]]


def answer(profile: dict[str, Any], name: str, args: tuple[int, ...]) -> str:
    """What the profile answers: ``allow``, an errno name, or ``default`` (no rule
    matched); fails when rules of different answers match (an overlap)."""
    found = set()
    for rule in rules_for(profile, name):
        if all(args[c["index"]] & c["value"] == c["valueTwo"] for c in rule.get("args") or []):
            found.add("allow" if rule["action"] == "SCMP_ACT_ALLOW" else errno.errorcode[rule["errnoRet"]])
    assert len(found) <= 1, (name, args, found)
    return found.pop() if found else "default"


def test_it_replaces_every_rule_of_a_governed_call_and_keeps_the_rest() -> None:
    profile = podman_seccomp.derive(DEFAULT, machine="x86_64")
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO" and profile["defaultErrnoRet"] == errno.ENOSYS
    assert profile["archMap"] == [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}]
    assert rules_for(profile, "read") == [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]
    for name in ("keyctl", "unshare", "bpf", "setns"):
        assert [(r["action"], r.get("errnoRet"), r.get("args")) for r in rules_for(profile, name)] == [
            ("SCMP_ACT_ERRNO", errno.EPERM, None)
        ], name
    assert {name: answer(profile, name, (0,)) for name in DENIED_SYSCALLS} == dict.fromkeys(DENIED_SYSCALLS, "EPERM")
    assert answer(profile, "clone3", (0,)) == "ENOSYS"
    assert json.loads(json.dumps(profile)) == profile


def test_it_answers_the_argument_checked_calls_as_the_policy_says() -> None:
    profile = podman_seccomp.derive(DEFAULT, machine="x86_64")
    high = 1 << 32
    for flags in (0, 17, 0x3D0F00 | 17, CLONE_NAMESPACE_FLAGS, 0x10000000 | 17, 0x20000 | 17, 0x80 | 17):
        expected = "EPERM" if flags & CLONE_NAMESPACE_FLAGS else "allow"
        assert answer(profile, "clone", (flags,)) == expected, hex(flags)
    for family in range(0, 64):
        expected = "EPERM" if family in DENIED_SOCKET_FAMILIES.values() else "allow"
        assert answer(profile, "socket", (family,)) == expected, family
        assert answer(profile, "socket", (high | family,)) == expected, family  # an int: upper half ignored
    for persona in (0, 8, 0x40000, 0x20008, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF, high | 0x40000):
        expected = "allow" if persona & 0xFFFFFFFF in ALLOWED_PERSONALITIES else "EPERM"
        assert answer(profile, "personality", (persona,)) == expected, hex(persona)


def test_it_puts_clone_flags_in_the_second_argument_on_s390x() -> None:
    profile = podman_seccomp.derive(DEFAULT, machine="s390x")
    assert {c["index"] for rule in rules_for(profile, "clone") for c in rule["args"]} == {1}
    assert profile["archMap"][0]["architecture"] == "SCMP_ARCH_S390X"


def test_it_writes_the_profile_once_per_content(tmp_path: Path, settings: object) -> None:
    settings.SANDBOX_WORK_ROOT = str(tmp_path / "work")  # type: ignore[attr-defined]
    default = tmp_path / "seccomp.json"
    default.write_text(json.dumps(DEFAULT))
    path, origin = podman_seccomp.profile_path(default)
    assert origin.startswith("podman's default profile") and path.parent == tmp_path / "work"
    assert json.loads(path.read_text()) == podman_seccomp.derive(DEFAULT)
    assert podman_seccomp.profile_path(default)[0] == path
    # Without podman's default: the policy over "allow the rest", and said so.
    fallback, origin = podman_seccomp.profile_path(tmp_path / "missing.json")
    assert fallback != path and origin.startswith("the policy alone")
    profile = json.loads(fallback.read_text())
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW" and answer(profile, "keyctl", (0,)) == "EPERM"


def test_the_backend_writes_its_profile_again_when_a_cleaner_removed_it(tmp_path: Path, settings: object) -> None:
    settings.SANDBOX_WORK_ROOT = str(tmp_path / "work")  # type: ignore[attr-defined]
    backend = PodmanBackend()
    path, _ = backend.seccomp
    assert path is not None
    os.unlink(path)
    assert backend.seccomp[0] == path and os.path.isfile(path)
    assert f"seccomp={path}" in backend._container_args("observer-test")
