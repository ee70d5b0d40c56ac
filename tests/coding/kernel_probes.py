"""Probe programs for the kernel calls the sandbox refuses (coding/sandbox/policy.py),
for any backend: the same table becomes a C program and a Python (ctypes) program,
each printing one line per probe, ``NAME RESULT``, where RESULT is ``ok`` (the call
worked), the errno's name (``EPERM``), or ``SIG<NAME>`` when the call killed the
process (probes that could do so run in a child of their own).

Arguments are chosen so that, where the kernel checks them before privileges, an
unfiltered kernel would answer something else (EFAULT, EBADF, EINVAL or success):
EPERM then comes from the filter, not from a missing capability.

    from tests.coding.kernel_probes import C_SOURCE, PYTHON_SOURCE, EXPECTED, parse
    result = await runner.run_batch(language="c", files=[("main.c", C_SOURCE)])
    assert parse(result.stdout) == EXPECTED
"""

from __future__ import annotations

from dataclasses import dataclass

# x86_64 syscall numbers (the sandbox's native ABI).
NR = {
    "keyctl": 250, "add_key": 248, "request_key": 249,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "userfaultfd": 323, "perf_event_open": 298, "bpf": 321,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
    "pidfd_getfd": 438, "personality": 135, "setns": 308, "unshare": 272, "clone": 56,
    "clone3": 435, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
    "fsopen": 430, "fsmount": 432, "fsconfig": 431, "move_mount": 429, "open_tree": 428,
    "mount_setattr": 442, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
    "finit_module": 313, "delete_module": 176, "acct": 163, "socket": 41, "getpid": 39,
}
X32_BIT = 0x40000000
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
ADDR_NO_RANDOMIZE = 0x0040000
AF_NETLINK, AF_PACKET, AF_VSOCK = 16, 17, 40
SOCK_STREAM, SOCK_RAW = 1, 3
KEY_SPEC_USER_KEYRING = -4

# An argument: an int, a string (passed as a pointer to it), or PID (the caller's pid).
PID = object()
Arg = int | str | object


@dataclass(frozen=True)
class Probe:
    name: str
    syscall: str
    args: tuple[Arg, ...] = ()
    expected: str = "EPERM"
    forked: bool = False  # the call may create a process or kill the caller: in a child
    x32: bool = False  # through the x32 ABI (syscall number | 0x40000000)


PROBES: tuple[Probe, ...] = (
    Probe("add_key", "add_key", ("user", "observer-probe", "Q1=42", 5, KEY_SPEC_USER_KEYRING)),
    Probe("keyctl", "keyctl", (0, KEY_SPEC_USER_KEYRING, 0)),  # KEYCTL_GET_KEYRING_ID
    Probe("request_key", "request_key", ("user", "observer-probe", 0, KEY_SPEC_USER_KEYRING)),
    Probe("io_uring_setup", "io_uring_setup", (1, 0)),  # unfiltered: EFAULT
    Probe("io_uring_enter", "io_uring_enter", (-1, 0, 0, 0, 0, 0)),  # unfiltered: EBADF
    Probe("io_uring_register", "io_uring_register", (-1, 0, 0, 0)),  # unfiltered: EBADF
    Probe("userfaultfd", "userfaultfd", (1,)),  # UFFD_USER_MODE_ONLY: unfiltered, it works
    Probe("perf_event_open", "perf_event_open", (0, 0, -1, -1, 0)),  # unfiltered: EFAULT
    Probe("bpf", "bpf", (0, 0, 0)),
    Probe("ptrace_attach_init", "ptrace", (PTRACE_ATTACH, 1, 0, 0)),  # the sandbox's init
    Probe("process_vm_readv", "process_vm_readv", (PID, 0, 0, 0, 0, 0)),  # unfiltered: 0
    Probe("process_vm_writev", "process_vm_writev", (PID, 0, 0, 0, 0, 0)),
    Probe("kcmp", "kcmp", (PID, PID, 0, 0, 0)),  # KCMP_FILE: unfiltered, it works
    Probe("pidfd_getfd", "pidfd_getfd", (-1, 0, 0)),  # unfiltered: EBADF
    Probe("personality_no_aslr", "personality", (ADDR_NO_RANDOMIZE,)),
    Probe("personality_high_bits", "personality", (0x1_0000_0000 | ADDR_NO_RANDOMIZE,)),
    Probe("personality_query", "personality", (0xFFFFFFFF,), expected="ok"),
    Probe("setns", "setns", (-1, 0)),  # unfiltered: EBADF
    Probe("unshare_user", "unshare", (CLONE_NEWUSER,)),
    Probe("clone_newuser", "clone", (CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), forked=True),
    Probe("clone3", "clone3", (0, 0), expected="ENOSYS"),  # unfiltered: EINVAL
    Probe("mount", "mount", (0, 0, 0, 0, 0)),  # unfiltered: EFAULT
    Probe("umount2", "umount2", ("/work", 0)),
    Probe("pivot_root", "pivot_root", ("/work", "/work")),
    Probe("chroot", "chroot", ("/work",)),
    Probe("fsopen", "fsopen", ("tmpfs", 0)),
    Probe("fsmount", "fsmount", (-1, 0, 0)),
    Probe("fsconfig", "fsconfig", (-1, 0, 0, 0, 0)),
    Probe("move_mount", "move_mount", (-1, 0, -1, 0, 0)),
    Probe("open_tree", "open_tree", (-1, 0, 0)),  # unfiltered: EFAULT
    Probe("mount_setattr", "mount_setattr", (-1, 0, 0, 0, 0)),  # unfiltered: EINVAL
    Probe("kexec_load", "kexec_load", (0, 0, 0, 0)),
    Probe("kexec_file_load", "kexec_file_load", (-1, -1, 0, 0, 0)),
    Probe("init_module", "init_module", (0, 0, 0)),
    Probe("finit_module", "finit_module", (-1, "", 0)),
    Probe("delete_module", "delete_module", ("observer_probe", 0)),
    Probe("acct", "acct", (0,)),
    Probe("socket_netlink", "socket", (AF_NETLINK, SOCK_RAW, 0)),  # unfiltered: it works
    Probe("socket_netlink_high_bits", "socket", (0x1_0000_0000 | AF_NETLINK, SOCK_RAW, 0)),
    Probe("socket_packet", "socket", (AF_PACKET, SOCK_RAW, 0)),
    Probe("socket_vsock", "socket", (AF_VSOCK, SOCK_STREAM, 0)),
    # The same refused call through the x32 ABI: the filter kills the process.
    Probe("x32_add_key", "add_key", ("user", "observer-probe", "x", 1, KEY_SPEC_USER_KEYRING),
          expected="SIGSYS", forked=True, x32=True),
)

# Through i386's int 0x80 (C only: Python cannot issue it): getpid, allowed natively.
I386_PROBE = "i386_getpid"

EXPECTED: dict[str, str] = {probe.name: probe.expected for probe in PROBES}
EXPECTED_C: dict[str, str] = {**EXPECTED, I386_PROBE: "SIGSYS"}


def parse(output: bytes) -> dict[str, str]:
    """``{probe: result}`` from a probe program's output."""
    found = {}
    for line in output.decode(errors="replace").splitlines():
        name, _, result = line.partition(" ")
        found[name] = result
    return found


# --- C ---------------------------------------------------------------------------------


def _c_arg(arg: Arg) -> str:
    if arg is PID:
        return "(long)getpid()"
    if isinstance(arg, str):
        return f'(long)"{arg}"'
    return f"(long){arg}L" if isinstance(arg, int) else "0"


def _c_call(probe: Probe) -> str:
    number = NR[probe.syscall] | (X32_BIT if probe.x32 else 0)
    args = [_c_arg(arg) for arg in probe.args] + ["0L"] * (6 - len(probe.args))
    function = "forked" if probe.forked else "direct"
    return f'{function}("{probe.name}", {number}L, {", ".join(args)});'


C_SOURCE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, long result) {
    if (result >= 0)
        printf("%s ok\n", name);
    else
        printf("%s %s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
    fflush(stdout);
}

static void direct(const char *name, long nr, long a, long b, long c, long d, long e, long f) {
    errno = 0;
    long result = syscall(nr, a, b, c, d, e, f);
    report(name, result);
    if (nr == SYS_ptrace && result == 0)
        syscall(SYS_ptrace, 17L /* PTRACE_DETACH */, b, 0L, 0L);
}

/* In a child: the call may kill its caller (another ABI) or return twice (clone). */
static void forked(const char *name, long nr, long a, long b, long c, long d, long e, long f) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) { report(name, -1); return; }
    pid_t child = fork();
    if (child == 0) {
        errno = 0;
        long result = syscall(nr, a, b, c, d, e, f);
        if (result == 0 && nr == SYS_clone)
            _exit(0); /* the clone's child */
        int error = errno;
        (void)!write(pipe_fds[1], &result, sizeof result);
        (void)!write(pipe_fds[1], &error, sizeof error);
        _exit(0);
    }
    close(pipe_fds[1]);
    long result = 0;
    int error = 0;
    ssize_t got = read(pipe_fds[0], &result, sizeof result);
    got += read(pipe_fds[0], &error, sizeof error);
    close(pipe_fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    if (WIFSIGNALED(status)) {
        printf("%s SIG%s\n", name, sigabbrev_np(WTERMSIG(status)));
        fflush(stdout);
        return;
    }
    errno = error;
    report(name, got == (ssize_t)(sizeof result + sizeof error) ? result : -1);
}

static void i386_getpid(void) {
    pid_t child = fork();
    if (child == 0) {
        long result;
        __asm__ volatile("int $0x80" : "=a"(result) : "a"(20L) : "memory");
        _exit(result > 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status))
        printf("i386_getpid SIG%s\n", sigabbrev_np(WTERMSIG(status)));
    else
        printf("i386_getpid %s\n", WEXITSTATUS(status) == 0 ? "ok" : "ENOSYS");
    fflush(stdout);
}

int main(void) {
""" + "\n".join(f"    {_c_call(probe)}" for probe in PROBES) + """
    i386_getpid();
    return 0;
}
"""


# --- Python (ctypes) -------------------------------------------------------------------


def _py_arg(arg: Arg) -> str:
    if arg is PID:
        return "os.getpid()"
    if isinstance(arg, str):
        return f"ctypes.c_char_p({arg.encode()!r})"
    return f"ctypes.c_long({arg})" if isinstance(arg, int) else "0"


PYTHON_SOURCE = '''
import ctypes, errno, os, signal, sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def report(name, result, error):
    print(name, "ok" if result >= 0 else errno.errorcode.get(error, "E?"), flush=True)

def direct(name, nr, *args):
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(nr), *args)
    report(name, result, ctypes.get_errno())

def forked(name, nr, *args):
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        ctypes.set_errno(0)
        result = libc.syscall(ctypes.c_long(nr), *args)
        if result == 0 and nr == 56:
            os._exit(0)  # the clone's child
        os.write(write_end, f"{result} {ctypes.get_errno()}".encode())
        os._exit(0)
    os.close(write_end)
    said = os.read(read_end, 100).decode().split()
    os.close(read_end)
    _, status = os.waitpid(child, 0)
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    if os.WIFSIGNALED(status):
        print(name, signal.Signals(os.WTERMSIG(status)).name, flush=True)
    else:
        report(name, int(said[0]) if said else -1, int(said[1]) if said else 0)

''' + "\n".join(
    f"{'forked' if probe.forked else 'direct'}({probe.name!r}, "
    f"{NR[probe.syscall] | (X32_BIT if probe.x32 else 0)}"
    + "".join(f", {_py_arg(arg)}" for arg in probe.args) + ")"
    for probe in PROBES
) + "\n"
