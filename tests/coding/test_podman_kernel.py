"""The podman backend's kernel surface: hostile programs, in C and in Python (ctypes),
ask for each call ``coding.sandbox.policy`` refuses and must get that exact refusal;
runs never share a host uid, a keyring, the cgroup namespace or /sys; and the
container's ulimits fit under the server's own hard limits.

Needs the one-time setup (``sh deploy/podman/setup.sh`` as root).
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import resource
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from coding import runner
from coding.sandbox import get_backend
from coding.sandbox.base import Status
from coding.sandbox.podman import PodmanBackend
from coding.sandbox.policy import (
    ALLOWED_PERSONALITIES,
    CLONE_NAMESPACE_FLAGS,
    DENIED_SOCKET_FAMILIES,
    DENIED_SYSCALLS,
    ENOSYS_SYSCALLS,
)
from tests.coding import kernel_probes
from tests.coding.conftest import podman_containers
from tests.coding.sandbox_support import RunTracker, quick_limits

pytestmark = [pytest.mark.podman, pytest.mark.timeout(180)]

# (CLONE_NEWTIME is no clone(2) flag: its bit is part of the exit signal there.)
CLONE_FLAG_NAMES = {
    0x00020000: "NEWNS", 0x02000000: "NEWCGROUP", 0x04000000: "NEWUTS",
    0x08000000: "NEWIPC", 0x10000000: "NEWUSER", 0x20000000: "NEWPID", 0x40000000: "NEWNET",
}
# Arguments that make a call harmless should the filter let it through (the rest get
# zeros), and what undoes it: an attached init would stop the container.
SPECIAL_ARGS = {
    "ptrace": (16, 1),  # PTRACE_ATTACH to the container's init
    "unshare": (0x10000000,),  # CLONE_NEWUSER
}
UNDO = {"ptrace": (17, 1, 0, 0)}  # PTRACE_DETACH
REFUSED_PERSONALITIES = {"ADDR_NO_RANDOMIZE": 0x0040000, "PER_LINUX32": 0x0008,
                         "READ_IMPLIES_EXEC": 0x0400000}
ALLOWED_SOCKETS = {"AF_UNIX": (1, 1), "AF_INET": (2, 1), "AF_INET6": (10, 2)}  # (family, type)
SOCKET_TYPES = {"AF_NETLINK": 3, "AF_PACKET": 3, "AF_KEY": 3, "AF_VSOCK": 1, "AF_ALG": 5}


def syscall_numbers() -> dict[str, int]:
    """This machine's system call numbers, from the C library's headers."""
    defines = subprocess.run(["gcc", "-dM", "-E", "-"], input=b"#include <sys/syscall.h>\n",
                             capture_output=True, check=True).stdout.decode()
    return {m[1]: int(m[2]) for m in re.finditer(r"#define __NR_(\w+) (\d+)$", defines, re.M)}


NUMBERS = syscall_numbers()
PROBED = [name for name in (*DENIED_SYSCALLS, *ENOSYS_SYSCALLS) if name in NUMBERS]


def expected() -> dict[str, str]:
    """What every probe must print: the policy's refusals, and what runtimes need."""
    answers = {name: "EPERM" for name in PROBED}
    answers.update({name: "ENOSYS" for name in ENOSYS_SYSCALLS if name in NUMBERS})
    answers.update({f"clone:{name}": "EPERM" for flag, name in CLONE_FLAG_NAMES.items()
                    if flag & CLONE_NAMESPACE_FLAGS})
    answers.update({f"socket:{name}": "EPERM" for name in DENIED_SOCKET_FAMILIES})
    answers.update({f"socket:{name}": "OK" for name in ALLOWED_SOCKETS})
    answers.update({f"personality:{name}": "EPERM" for name in REFUSED_PERSONALITIES})
    answers.update({f"personality:{value:#x}": "OK" for value in ALLOWED_PERSONALITIES})
    answers.update({"fork": "OK", "thread": "OK", "clone:plain": "OK"})
    return answers


def c_probe() -> str:
    calls = []
    for name in PROBED:
        args = ", ".join(str(a) for a in (*SPECIAL_ARGS.get(name, ()), 0, 0, 0, 0, 0, 0)[:6])
        calls.append(f'    rc = syscall({NUMBERS[name]}, {args});')
        calls.append(f'    say("{name}", rc);')
        if name in UNDO:
            calls.append(f'    if (rc >= 0) syscall({NUMBERS[name]}, {", ".join(map(str, UNDO[name]))});')
    for flag, name in CLONE_FLAG_NAMES.items():
        if flag & CLONE_NAMESPACE_FLAGS:
            calls.append(f'    clone_probe("clone:{name}", {flag:#x});')
    for name, family in DENIED_SOCKET_FAMILIES.items():
        calls.append(f'    say("socket:{name}", socket({family}, {SOCKET_TYPES[name]}, 0));')
    for name, (family, kind) in ALLOWED_SOCKETS.items():
        calls.append(f'    say("socket:{name}", socket({family}, {kind}, 0));')
    for name, value in REFUSED_PERSONALITIES.items():
        calls.append(f'    say("personality:{name}", syscall({NUMBERS["personality"]}, {value:#x}));')
        calls.append(f'    syscall({NUMBERS["personality"]}, 0);')
    for value in ALLOWED_PERSONALITIES:
        calls.append(f'    say("personality:{value:#x}", syscall({NUMBERS["personality"]}, {value:#x}UL));')
    body = "\n".join(calls)
    return f"""#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, long rc) {{
    printf("%s %s\\n", what, rc < 0 ? strerrorname_np(errno) : "OK");
}}
static void clone_probe(const char *what, unsigned long flags) {{
    long rc = syscall({NUMBERS["clone"]}, flags | SIGCHLD, 0, 0, 0, 0);
    if (rc == 0) _exit(0);
    if (rc > 0) waitpid((pid_t)rc, NULL, 0);
    say(what, rc);
}}
static void *idle(void *arg) {{ return arg; }}

int main(void) {{
    long rc;
    setvbuf(stdout, NULL, _IONBF, 0);
{body}
    clone_probe("clone:plain", 0);
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid(pid, NULL, 0);
    say("fork", pid);
    pthread_t thread;
    int failed = pthread_create(&thread, NULL, idle, NULL);
    if (!failed) pthread_join(thread, NULL); else errno = failed;
    say("thread", failed ? -1 : 0);
    return 0;
}}
"""


def python_probe() -> str:
    calls = {name: (NUMBERS[name], SPECIAL_ARGS.get(name, ())) for name in PROBED}
    clones = {name: flag for flag, name in CLONE_FLAG_NAMES.items() if flag & CLONE_NAMESPACE_FLAGS}
    sockets = {name: (family, SOCKET_TYPES[name]) for name, family in DENIED_SOCKET_FAMILIES.items()}
    sockets.update(ALLOWED_SOCKETS)
    personalities = {f"personality:{name}": value for name, value in REFUSED_PERSONALITIES.items()}
    personalities.update({f"personality:{value:#x}": value for value in ALLOWED_PERSONALITIES})
    return f"""import ctypes, errno, os, socket, threading
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def call(number, *args):
    ctypes.set_errno(0)
    return libc.syscall(ctypes.c_long(number), *[ctypes.c_ulong(a) for a in args])

def say(what, rc, code=None):
    code = code if code is not None else ctypes.get_errno()
    print(what, "OK" if rc >= 0 else errno.errorcode[code], flush=True)

undo = {UNDO!r}
for name, (number, args) in {calls!r}.items():
    rc = call(number, *(tuple(args) + (0,) * 6)[:6])
    say(name, rc)
    if rc >= 0 and name in undo:
        call(number, *undo[name])
for name, flag in {dict(clones, plain=0)!r}.items():
    rc = call({NUMBERS["clone"]}, flag | 17, 0, 0, 0, 0)
    if rc == 0:
        os._exit(0)
    if rc > 0:
        os.waitpid(rc, 0)
    say("clone:" + name, rc)
for name, (family, kind) in {sockets!r}.items():
    try:
        socket.socket(family, kind).close()
        say("socket:" + name, 0)
    except OSError as exc:
        say("socket:" + name, -1, exc.errno)
for name, value in {personalities!r}.items():
    say(name, call({NUMBERS["personality"]}, value))
    call({NUMBERS["personality"]}, 0)
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
say("fork", pid)
worker = threading.Thread(target=lambda: None)
worker.start()
worker.join()
say("thread", 0)
"""


def answers(stdout: bytes) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in stdout.decode().splitlines())


async def test_it_refuses_every_policy_call_from_c(podman: RunTracker) -> None:
    # A probe that silently left out the calls this machine's headers lack proves little.
    assert len(PROBED) >= len(DENIED_SYSCALLS) - 2, set(DENIED_SYSCALLS) - set(PROBED)
    result = await runner.run_batch(language="c", files=[("main.c", c_probe())], limits=quick_limits("c"))
    assert result.status == Status.OK, result
    assert answers(result.stdout) == expected()
    podman.assert_nothing_left()


async def test_it_refuses_every_policy_call_from_python(podman: RunTracker) -> None:
    result = await runner.run_batch(language="python", files=[("main.py", python_probe())],
                                    limits=quick_limits())
    assert result.status == Status.OK, result
    assert answers(result.stdout) == expected()
    podman.assert_nothing_left()


async def test_it_answers_the_shared_c_probes_as_bubblewrap_does(podman: RunTracker) -> None:
    # kernel_probes: arguments an unfiltered kernel answers otherwise, arguments with
    # high bits set, and the x32 and i386 ABIs (killed: the profile keeps only the
    # native architecture, so socketcall() cannot hide socket's family).
    result = await runner.run_batch(language="c", files=[("main.c", kernel_probes.C_SOURCE)],
                                    limits=quick_limits("c"))
    assert result.status == Status.OK, result
    assert kernel_probes.parse(result.stdout) == kernel_probes.EXPECTED_C
    podman.assert_nothing_left()


async def test_it_answers_the_shared_python_probes_as_bubblewrap_does(podman: RunTracker) -> None:
    result = await runner.run_batch(language="python", files=[("main.py", kernel_probes.PYTHON_SOURCE)],
                                    limits=quick_limits())
    assert result.status == Status.OK, result
    assert kernel_probes.parse(result.stdout) == kernel_probes.EXPECTED
    podman.assert_nothing_left()


async def test_it_refuses_a_nested_user_namespace(podman: RunTracker) -> None:
    source = ("import subprocess\n"
              "done = subprocess.run(['unshare', '-U', '-r', 'id', '-u'], capture_output=True, text=True)\n"
              "print(done.returncode, done.stdout.strip(), done.stderr.strip())\n")
    result = await runner.run_batch(language="python", files=[("main.py", source)], limits=quick_limits())
    assert result.stdout.decode().strip() == "1  unshare: unshare failed: Operation not permitted", result


NAMESPACES = """import os
print(open('/proc/self/uid_map').read().split())
print(os.readlink('/proc/self/ns/cgroup'))
print(open('/proc/self/cgroup').read().splitlines())
try:
    print(len(open('/sys/kernel/notes', 'rb').read()))
except OSError as exc:
    print(type(exc).__name__)
print(sorted(os.listdir('/sys')))
"""


async def test_it_runs_each_container_in_namespaces_of_its_own_without_sys(podman: RunTracker) -> None:
    result = await runner.run_batch(language="python", files=[("main.py", NAMESPACES)], limits=quick_limits())
    uid_map, cgroup_ns, cgroups, notes, sys_entries = result.stdout.decode().splitlines()
    first, host_first, count = ast.literal_eval(uid_map)
    assert (first, count) == ("0", "65536") and int(host_first) > 65536, uid_map  # not the identity
    assert cgroup_ns != os.readlink("/proc/self/ns/cgroup")
    assert all(line.endswith(":/") for line in ast.literal_eval(cgroups)), cgroups  # its own root
    assert (notes, sys_entries) == ("FileNotFoundError", "[]")
    podman.assert_nothing_left()


# Plants a keyring any process of its uid may find by name, and keeps it while the
# other run searches: the cheating channel a shared host uid opens.
PLANT = """import ctypes, errno, time
libc = ctypes.CDLL(None, use_errno=True)
print(open('/proc/self/uid_map').read().split(), flush=True)
serial = libc.syscall({keyctl}, 1, b"{name}")  # KEYCTL_JOIN_SESSION_KEYRING
if serial < 0:
    print("plant", errno.errorcode[ctypes.get_errno()], flush=True)
else:
    libc.syscall({keyctl}, 5, serial, 0x3f3f3f3f)  # KEYCTL_SETPERM: everyone may search it
    print("plant", serial, flush=True)
time.sleep(6)
"""
SEARCH = """import ctypes, errno, time
libc = ctypes.CDLL(None, use_errno=True)
print(open('/proc/self/uid_map').read().split(), flush=True)
deadline, found = time.monotonic() + 4, "nothing"
while time.monotonic() < deadline and found == "nothing":
    serial = libc.syscall({keyctl}, 1, b"{name}")
    described = ctypes.create_string_buffer(256)
    if serial >= 0 and libc.syscall({keyctl}, 6, serial, described, 256) > 0:  # KEYCTL_DESCRIBE
        if described.value.decode().split(";")[3] == "3f3f3f3f":
            found = "the planted keyring " + str(serial)
    time.sleep(0.2)
print("search", found, flush=True)
"""


async def test_it_shares_no_host_uid_and_no_keyring_between_concurrent_runs(podman: RunTracker) -> None:
    name = f"observer-exam-{secrets.token_hex(4)}"
    values = {"keyctl": NUMBERS["keyctl"], "name": name}
    planted, searched = await asyncio.gather(
        runner.run_batch(language="python", files=[("main.py", PLANT.format(**values))],
                         limits=quick_limits(wall_seconds=15.0)),
        runner.run_batch(language="python", files=[("main.py", SEARCH.format(**values))],
                         limits=quick_limits(wall_seconds=15.0)),
    )
    plant_map, plant = planted.stdout.decode().splitlines()
    search_map, search = searched.stdout.decode().splitlines()
    assert (plant, search) == ("plant EPERM", "search nothing"), (planted, searched)
    # Different host ids, neither the host's own: even a keyring that could be made
    # would belong to one run's uid only.
    assert plant_map != search_map and "4294967295" not in plant_map + search_map
    podman.assert_nothing_left()


# The server as under systemd's LimitNPROC=2000 and LimitNOFILE=200: a process of its
# own (lowering a hard limit is for good; root here lacks CAP_SYS_RESOURCE to raise it).
UNDER_LIMITS = """
import asyncio, json, os
from coding import runner
from coding.sandbox import get_backend
source = ("import resource\\n"
          "print(resource.getrlimit(resource.RLIMIT_NPROC), resource.getrlimit(resource.RLIMIT_NOFILE))\\n")
result = asyncio.run(runner.run_batch(language="python", files=[("main.py", source)]))
report = [p.as_dict() for p in get_backend("podman").protections()]
print(json.dumps({"pid": os.getpid(), "result": result.summary(), "stdout": result.stdout.decode(),
                  "protections": report}))
"""


def lower_hard_limits() -> None:
    resource.setrlimit(resource.RLIMIT_NPROC, (2000, 2000))
    resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))


def test_it_clamps_the_containers_ulimits_to_the_servers_hard_limits(podman: RunTracker) -> None:
    done = subprocess.run(
        [sys.executable, str(Path(django_settings.BASE_DIR) / "manage.py"), "shell", "-c", UNDER_LIMITS],
        preexec_fn=lower_hard_limits,
        env={**os.environ, "SANDBOX_BACKEND": "podman"}, capture_output=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    report = json.loads(done.stdout.decode().splitlines()[-1])
    assert report["result"]["status"] == "ok", report
    assert report["stdout"] == "(2000, 2000) (200, 200)\n"
    line = next(p for p in report["protections"] if p["name"] == "ulimits")
    assert line["state"] == "active" and "nproc 4096 -> 2000" in line["detail"], line
    assert "nofile 256 -> 200" in line["detail"], line
    left = [name for name in podman_containers() if name.startswith(f"observer-run-{report['pid']}-")]
    assert left == []


def test_it_reports_each_protection_as_active_on_this_host(settings: object) -> None:
    settings.SANDBOX_BACKEND = "podman"  # type: ignore[attr-defined]
    backend = get_backend("podman")
    assert isinstance(backend, PodmanBackend)
    # (the host's sysctls, kernel.*, are the operator's: reported as they are)
    report = {p.name: p.state for p in backend.protections() if not p.name.startswith("kernel.")}
    assert report == {name: "active" for name in (
        "seccomp filter", "no nested user namespaces", "host uid per run", "cgroup namespace",
        "masked /sys", "masked /proc files", "ulimits", "cgroup limits",
    )}, backend.protections()
