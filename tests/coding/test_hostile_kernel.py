"""Hostile programs against the kernel's surface, on the real bubblewrap backend: the
seccomp filter's refusals (C and Python through ctypes, batch and terminal runs, warm
and cold sandboxes), no nested user namespaces, keys that cannot cross between runs,
the masked /proc files, the /build quota during a compile, a host uid per run.

The probe programs are shared with podman's suite: tests/coding/kernel_probes.py.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct

import pytest

from coding import runner
from coding.sandbox import get_backend, seccomp
from coding.sandbox.base import Status
from coding.sandbox.bubblewrap import BubblewrapBackend
from tests.coding.kernel_probes import C_SOURCE, EXPECTED, EXPECTED_C, PYTHON_SOURCE, parse
from tests.coding.sandbox_support import Canary, RunTracker, Screen, assert_unharmed, quick_limits

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]


def backend() -> BubblewrapBackend:
    found = get_backend("bubblewrap")
    assert isinstance(found, BubblewrapBackend)
    return found


async def run_python(source: str, **limits: object) -> runner.RunResult:
    return await runner.run_batch(language="python", files=[("main.py", source)],
                                  limits=quick_limits(**limits))


# --- the seccomp filter -------------------------------------------------------------


async def test_it_refuses_each_kernel_call_to_a_c_program(bwrap: RunTracker, canary: Canary) -> None:
    result = await runner.run_batch(language="c", files=[("main.c", C_SOURCE)],
                                    limits=quick_limits("c"))
    assert result.status == Status.OK, result
    assert parse(result.stdout) == EXPECTED_C
    assert not any(bwrap.pooled), "a compiled run starts cold: the cold path is what this tests"
    # The compile step (gcc) got the same filter and options as the program's step.
    assert [spec.build_writable for spec in bwrap.specs] == [True, False]
    for step in bwrap.steps:
        options = list(step.plan.gate_args or step.plan.argv)  # type: ignore[attr-defined]
        assert "--seccomp" in options and "--disable-userns" in options, options
        assert options[options.index("--dev-bind") + 1:options.index("--dev-bind") + 3] == [
            "/dev/null", "/proc/keys"]
    await assert_unharmed(bwrap, canary)


async def test_it_refuses_each_kernel_call_to_python_through_ctypes(bwrap: RunTracker,
                                                                     canary: Canary) -> None:
    result = await run_python(PYTHON_SOURCE)
    assert result.status == Status.OK, result
    assert parse(result.stdout) == EXPECTED
    assert bwrap.pooled == [True], "the warm path is what this tests"
    await assert_unharmed(bwrap, canary)


async def test_it_refuses_them_in_a_terminal_run_too(bwrap: RunTracker) -> None:
    screen = await Screen.start("python", [("main.py", PYTHON_SOURCE)])
    result = await screen.result()
    assert result.status == Status.OK, result
    assert parse(result.stdout.replace(b"\r\n", b"\n")) == EXPECTED
    bwrap.assert_nothing_left()


async def test_the_program_runs_under_the_filter_with_no_new_privileges(bwrap: RunTracker) -> None:
    result = await run_python("print(open('/proc/self/status').read())")
    status = dict(re.findall(r"^(\w+):\s+(.*)$", result.stdout.decode(), re.MULTILINE))
    assert (status["Seccomp"], status["Seccomp_filters"], status["NoNewPrivs"]) == ("2", "1", "1")
    assert status["CapEff"] == status["CapPrm"] == "0000000000000000"


# --- nested user namespaces ---------------------------------------------------------

UNSHARE = """\
import subprocess
done = subprocess.run(["unshare", "-U", "--map-root-user", "id", "-u"], capture_output=True, text=True)
print(done.returncode, done.stdout.strip(), done.stderr.strip())
"""


async def test_a_nested_unshare_is_refused(bwrap: RunTracker) -> None:
    result = await run_python(UNSHARE)
    assert result.status == Status.OK, result
    assert result.stdout.decode().strip() == "1  unshare: unshare failed: Operation not permitted"


async def test_bubblewrap_alone_refuses_a_nested_user_namespace_without_the_filter(
    bwrap: RunTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second layer on its own: with a filter that allows everything, the sandbox
    still cannot make a user namespace (--disable-userns)."""
    allow_all = struct.pack("<HBBI", 0x06, 0, 0, 0x7FFF0000)  # BPF_RET | BPF_K, SECCOMP_RET_ALLOW
    monkeypatch.setattr(backend(), "filter", seccomp.Filter(allow_all, "", "test: allow all"))
    backend().pool.drain()  # its sandboxes were made with the real filter
    result = await run_python(UNSHARE)
    assert result.status == Status.OK, result
    assert result.stdout.decode().strip() == "1  unshare: unshare failed: No space left on device"


# --- keys between runs --------------------------------------------------------------

PLANT = """\
import ctypes, errno, time
libc = ctypes.CDLL(None, use_errno=True)
key = libc.syscall(248, b"user", b"observer-exam", b"Q1=42;Q2=17", 11, -4)  # add_key, user keyring
print("plant", key if key >= 0 else errno.errorcode[ctypes.get_errno()], flush=True)
if key >= 0:
    libc.syscall(250, 5, key, 0x3F3F3F3F)  # KEYCTL_SETPERM: everything to everyone
time.sleep(1.5)
"""
SEARCH = """\
import ctypes, errno, time
libc = ctypes.CDLL(None, use_errno=True)
time.sleep(0.5)
found = libc.syscall(250, 10, -4, b"user", b"observer-exam", 0)  # KEYCTL_SEARCH
print("search", found if found >= 0 else errno.errorcode[ctypes.get_errno()])
print("keys", [line for line in open("/proc/keys") if "observer-exam" in line])
"""


async def test_two_concurrent_runs_cannot_share_a_key(bwrap: RunTracker) -> None:
    planted, searched = await asyncio.gather(run_python(PLANT), run_python(SEARCH))
    assert planted.stdout.decode().strip() == "plant EPERM", planted
    assert searched.stdout.decode().splitlines() == ["search EPERM", "keys []"], searched
    uids = [getattr(step, "host_uid", None) for step in bwrap.steps]
    assert len(set(uids)) == 2 and all(isinstance(uid, int) for uid in uids), uids


async def test_a_warm_run_after_a_planted_key_finds_nothing(bwrap: RunTracker) -> None:
    planted = await run_python(PLANT, wall_seconds=3.0)
    assert planted.stdout.decode().strip() == "plant EPERM"
    after = await run_python(SEARCH)
    assert after.stdout.decode().splitlines() == ["search EPERM", "keys []"], after
    assert bwrap.pooled == [True, True]


# --- /proc ----------------------------------------------------------------------------

READ_PROC = """\
for name in ("keys", "key-users", "kallsyms", "timer_list", "sysrq-trigger"):
    path = "/proc/" + name
    try:
        print(name, repr(open(path).read() if name != "sysrq-trigger" else open(path, "w").write("c")))
    except OSError as error:
        print(name, type(error).__name__)
"""


async def test_the_kernel_s_keys_symbols_and_timers_read_empty(bwrap: RunTracker) -> None:
    result = await run_python(READ_PROC)
    assert result.status == Status.OK, result
    # Into /dev/null: the host's SysRq never sees it (a kernel without SysRq has none).
    sysrq = "1" if os.path.exists("/proc/sysrq-trigger") else "FileNotFoundError"
    assert result.stdout.decode().splitlines() == [
        "keys ''", "key-users ''", "kallsyms ''", "timer_list ''", f"sysrq-trigger {sysrq}",
    ]


# --- /build ---------------------------------------------------------------------------

# A program of about 3 MB (an initialized array), under the 10 MB per-file limit.
BIG_PROGRAM = "char big[3 * 1024 * 1024] = {1};\nint main(void) { return big[0] - 1; }\n"


async def test_a_compile_that_fills_build_past_its_quota_is_a_compile_error(
    bwrap: RunTracker, settings: object
) -> None:
    settings.SANDBOX_BUILD_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    result = await runner.run_batch(language="c", files=[("main.c", BIG_PROGRAM)],
                                    limits=quick_limits("c"))
    assert result.status == Status.COMPILE_ERROR, result
    assert "No space left on device" in result.message
    bwrap.assert_nothing_left()
    settings.SANDBOX_BUILD_BYTES = 8 * 1024 * 1024  # type: ignore[attr-defined]
    result = await runner.run_batch(language="c", files=[("main.c", BIG_PROGRAM)],
                                    limits=quick_limits("c"))
    assert result.status == Status.OK, result


async def test_a_compile_past_the_build_inode_quota_is_a_compile_error(
    bwrap: RunTracker, settings: object
) -> None:
    settings.SANDBOX_BUILD_INODES = 8  # type: ignore[attr-defined]
    classes = "".join(f"class C{n} {{}}\n" for n in range(20))  # javac writes a file per class
    source = classes + "public class Main { public static void main(String[] a) {} }\n"
    result = await runner.run_batch(language="java", files=[("Main.java", source)])
    assert result.status == Status.COMPILE_ERROR, result
    assert "No space left on device" in result.message
    bwrap.assert_nothing_left()


async def test_build_is_a_tmpfs_of_the_run_s_own_uid(bwrap: RunTracker) -> None:
    found = backend()
    assert found.uids is not None
    held = found.uids.held_here()  # the idle warm sandboxes'
    path = await found.make_build_dir()
    try:
        assert os.path.ismount(path)
        slot = found._build_slots[path]
        info = os.stat(path)
        assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (slot.uid, slot.gid, 0o700)
        statvfs = os.statvfs(path)
        assert statvfs.f_blocks * statvfs.f_frsize == 64 * 1024 * 1024
        assert statvfs.f_files == 4096
    finally:
        await found.remove_build_dir(path)
    assert not os.path.lexists(path)
    assert found.uids.held_here() == held


# --- host uids ------------------------------------------------------------------------


async def test_each_sandbox_runs_as_a_host_uid_of_its_own(bwrap: RunTracker) -> None:
    source = "import time; time.sleep(0.6)\n"
    await asyncio.gather(*(run_python(source) for _ in range(3)),
                         runner.run_batch(language="c", files=[("main.c", "int main(void){return 0;}\n")]))
    found = backend()
    assert found.uids is not None
    uids = [step.host_uid for step in bwrap.steps]  # type: ignore[attr-defined]
    python = [uid for spec, uid in zip(bwrap.specs, uids, strict=True) if spec.build_dir is None]
    c_run = [uid for spec, uid in zip(bwrap.specs, uids, strict=True) if spec.build_dir is not None]
    assert len(set(python)) == 3, uids
    assert len(c_run) == 2 and len(set(c_run)) == 1, uids  # compile and run share the run's uid
    assert c_run[0] not in python
    assert all(found.uids.base <= uid < found.uids.base + found.uids.count for uid in uids)


async def test_a_uid_is_given_back_once_a_slow_sandbox_init_is_gone(
    bwrap: RunTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a loaded machine the init's teardown may outlast the step's wait for it: the
    uid is then given back later, when the init is gone (never before, never lost)."""
    from coding.sandbox import bubblewrap

    monkeypatch.setattr(bubblewrap, "_INIT_EXIT_SECONDS", 0.0)  # every wait "times out"
    result = await run_python("print('hi')")
    assert result.status == Status.OK, result
    found = backend()
    assert found.uids is not None
    uid = bwrap.steps[0].host_uid  # type: ignore[attr-defined]
    for _ in range(200):
        if uid - found.uids.base not in found.uids._mine:
            break
        await asyncio.sleep(0.05)
    assert uid - found.uids.base not in found.uids._mine, "the uid was never given back"
