"""The pieces behind the kernel protections, without running a sandbox: the policy's
rules, the installed filter's checks, the machine-wide uid slots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coding.sandbox import policy, seccomp
from coding.sandbox.base import SandboxError
from coding.sandbox.uids import UidPool

# --- the policy's rules ---------------------------------------------------------------


def refused_personality(value: int) -> bool:
    """Whether the generated rules refuse personality(value), evaluated as the filter does."""
    for rule in policy.seccomp_rules():
        fields = rule.split()
        if fields[1] == "personality":
            mask, datum = int(fields[3], 16), int(fields[4], 16)
            if value & mask == datum:
                return True
    return False


@pytest.mark.parametrize("value", [0, 0xFFFFFFFF, 0x1_0000_0000, 0xFFFF_FFFF_FFFF_FFFF])
def test_it_allows_per_linux_and_the_query(value: int) -> None:
    assert not refused_personality(value)


@pytest.mark.parametrize("value", [
    0x0040000,  # ADDR_NO_RANDOMIZE
    0x0400000,  # READ_IMPLIES_EXEC
    0x0008,  # PER_LINUX32
    0x80000000, 0x7FFFFFFF, 0xFFFFFFFE, 0x80040000,
    0x1_0004_0000,  # high bits the kernel drops: still ADDR_NO_RANDOMIZE
])
def test_it_refuses_every_other_personality(value: int) -> None:
    assert refused_personality(value)


def test_it_refuses_clone_with_any_namespace_flag_and_the_listed_families() -> None:
    rules = policy.seccomp_rules()
    clone = {int(rule.split()[3], 16) for rule in rules if rule.split()[1] == "clone"}
    assert sum(clone) == policy.CLONE_NAMESPACE_FLAGS and len(clone) == 8
    sockets = {int(rule.split()[4]) for rule in rules if rule.split()[1] == "socket"}
    assert sockets == set(policy.DENIED_SOCKET_FAMILIES.values())
    assert all(rule.split()[3] == "0xffffffff" for rule in rules if rule.split()[1] == "socket")
    assert "38 clone3" in rules and "1 keyctl" in rules


# --- the installed filter -------------------------------------------------------------


def installed(tmp_path: Path, program: bytes = b"\x06\x00\x00\x00\x00\x00\xff\x7f",
              digest: str | None = None, mode: int = 0o644) -> str:
    path = tmp_path / "seccomp.bpf"
    path.write_bytes(program)
    path.chmod(mode)
    (tmp_path / "seccomp.bpf.sha256").write_text((digest or policy.seccomp_digest()) + "\n")
    return str(path)


def test_it_loads_a_filter_built_from_this_policy(tmp_path: Path) -> None:
    loaded = seccomp.load(installed(tmp_path))
    assert loaded.usable and loaded.program == b"\x06\x00\x00\x00\x00\x00\xff\x7f"


def test_the_installed_filter_matches_the_policy() -> None:
    loaded = seccomp.load()
    assert loaded.usable, loaded.problem


@pytest.mark.parametrize(("change", "reason"), [
    ({"digest": "0" * 64}, "built from another version of coding/sandbox/policy.py"),
    ({"mode": 0o666}, "writable by no one else"),
    ({"program": b""}, "0 bytes is not a BPF program"),
    ({"program": b"\x06" * 12}, "12 bytes is not a BPF program"),
])
def test_it_refuses_a_filter_that_is_stale_unsafe_or_malformed(
    tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    loaded = seccomp.load(installed(tmp_path, **change))  # type: ignore[arg-type]
    assert not loaded.usable
    assert reason in loaded.problem and "run scripts/install" in loaded.problem


def test_it_refuses_a_missing_filter(tmp_path: Path) -> None:
    loaded = seccomp.load(str(tmp_path / "none.bpf"))
    assert loaded.problem.startswith(f"no usable seccomp filter at {tmp_path}/none.bpf (No such file")


# --- uid slots ------------------------------------------------------------------------

HOLD_ALL = """\
import sys, time
from coding.sandbox.uids import UidPool
pool = UidPool(base=2000000000, count=int(sys.argv[2]), lock_dir=sys.argv[1])
slots = [pool.claim() for _ in range(int(sys.argv[3]))]
print(" ".join(str(slot.uid) for slot in slots), flush=True)
sys.stdin.read()
"""


def holder(lock_dir: Path, count: int, claims: int) -> tuple[subprocess.Popen[str], set[int]]:
    """Another server process of the machine, holding ``claims`` slots until told to stop."""
    process = subprocess.Popen([sys.executable, "-c", HOLD_ALL, str(lock_dir), str(count), str(claims)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[2])
    assert process.stdout is not None
    return process, {int(uid) for uid in process.stdout.readline().split()}


def test_slots_are_claimed_machine_wide_and_freed_when_their_holder_exits(tmp_path: Path) -> None:
    pool = UidPool(base=2_000_000_000, count=3, lock_dir=str(tmp_path / "slots"))
    mine = pool.claim()
    other, theirs = holder(tmp_path / "slots", 3, 2)
    try:
        assert len(theirs) == 2 and mine.uid not in theirs
        with pytest.raises(SandboxError, match="all 3 sandbox uids"):
            pool.claim()
    finally:
        other.communicate("")
    again = pool.claim()  # the other process exited: the kernel dropped its locks
    assert again.uid in theirs
    mine.release()
    again.release()
    assert pool.held_here() == 0


def test_a_released_slot_can_be_claimed_again_and_a_slot_is_never_held_twice(tmp_path: Path) -> None:
    pool = UidPool(base=2_000_000_000, count=2, lock_dir=str(tmp_path / "slots"))
    first, second = pool.claim(), pool.claim()
    assert {first.uid, second.uid} == {2_000_000_000, 2_000_000_001}
    assert first.gid == first.uid
    first.release()
    first.release()  # idempotent
    assert pool.claim().uid == first.uid


def test_it_refuses_a_lock_directory_others_can_write(tmp_path: Path) -> None:
    directory = tmp_path / "slots"
    directory.mkdir(mode=0o777)
    os.chmod(directory, 0o777)
    with pytest.raises(SandboxError, match="no one else can write"):
        UidPool(base=2_000_000_000, count=2, lock_dir=str(directory)).claim()


def test_it_refuses_an_unusable_range() -> None:
    with pytest.raises(SandboxError, match="not a usable uid range"):
        UidPool(base=0, count=10, lock_dir="/nonexistent")
    with pytest.raises(SandboxError, match="not a usable uid range"):
        UidPool(base=4_294_967_000, count=1000, lock_dir="/nonexistent")


# --- /build where the kernel refuses mounts ---------------------------------------------


async def test_build_falls_back_to_a_plain_directory_and_says_so_when_mounts_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from coding.sandbox import mounts
    from coding.sandbox.bubblewrap import BubblewrapBackend

    def refuse(path: str, **options: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(mounts, "mount_tmpfs", refuse)
    backend = BubblewrapBackend()
    try:
        assert backend.uids is not None  # these tests run as root
        path = await backend.make_build_dir()
        slot = backend._build_slots[path]
        assert not os.path.ismount(path) and os.stat(path).st_uid == slot.uid
        await backend.remove_build_dir(path)
        assert not os.path.lexists(path) and backend.uids.held_here() == 0
        quota = next(p for p in backend.protections() if p.name == "/build quota")
        assert (quota.state, quota.detail) == (
            "degraded", "the kernel refused the mount (Operation not permitted): /build is a plain "
            "host directory, bounded per file only")
    finally:
        backend.close()


# --- the generator scripts/install builds -------------------------------------------------

GENERATOR = Path(__file__).resolve().parents[2] / "var" / "sandbox" / "observer-seccomp-gen"


def generate(rules: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GENERATOR), str(out)], input=rules, capture_output=True, text=True, timeout=30)


def test_the_generator_builds_the_installed_filter_from_the_policy(tmp_path: Path) -> None:
    done = generate(policy.seccomp_rules_text(), tmp_path / "f.bpf")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "f.bpf").read_bytes() == seccomp.load().program


@pytest.mark.parametrize(("rules", "error"), [
    ("1 no_such_call\n", "line 1: unknown syscall"),
    ("# nothing\n\n", "line 2: no rules: refusing to build a filter that allows everything"),
    ("1 socket 0 0xffffffff\n", "line 1: expected ERRNO SYSCALL [ARG MASK DATUM]"),
    ("0 keyctl\n", "line 1: errno out of range"),
    ("1 keyctl\n1 clone 7 1 1\n", "line 2: argument index out of range"),
])
def test_the_generator_refuses_a_bad_policy(tmp_path: Path, rules: str, error: str) -> None:
    done = generate(rules, tmp_path / "f.bpf")
    assert done.returncode == 1
    assert done.stderr.strip() == f"observer-seccomp-gen: {error}"


# --- host hardening ------------------------------------------------------------------------


def test_it_reports_the_host_sysctls_as_active_or_off(tmp_path: Path) -> None:
    from coding.sandbox.bubblewrap import host_hardening

    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "io_uring_disabled").write_text("0\n")
    (tmp_path / "kernel" / "perf_event_paranoid").write_text("3\n")
    assert [(p.name, p.state, p.detail) for p in host_hardening(tmp_path)] == [
        ("kernel.io_uring_disabled", "off", "0; 2 would refuse io_uring to every process of the host "
         "(deploy/RUNBOOK.md, scripts/install)"),
        ("kernel.perf_event_paranoid", "active", "3: the kernel refuses kernel profiling to unprivileged "
         "users (3 on Debian kernels: all perf)"),
    ]
    (tmp_path / "kernel" / "io_uring_disabled").unlink()  # a kernel without io_uring
    assert host_hardening(tmp_path)[0].state == "off"
    assert host_hardening(tmp_path)[0].detail == "not offered by this kernel"
