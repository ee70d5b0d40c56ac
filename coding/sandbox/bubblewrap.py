"""The bubblewrap backend (the default on Linux).

Each step runs in a fresh ``bwrap`` sandbox: new user, pid, network, ipc, uts, mount
and cgroup namespaces; a read-only root holding only ``/usr`` (minus ``/usr/local``),
the dynamic linker cache and the paths the language declares; size-limited tmpfs
``/work`` (the sources, copied in from memfds: the host never writes a file there)
and ``/tmp``; uid/gid 65534 inside and, when the server is root, on the host too; a
new session; killed with its parent. Limits come from the run's cgroup (memory,
pids, CPU quota) and rlimits (CPU seconds, file size, open files, no core files).

Because the sandbox has its own pid namespace, killing its init takes every process
of the run with it, daemons and double forks included.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import stat
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from coding.languages import RUNTIMES_MOUNT
from coding.sandbox import cgroup_detect, cgroups, workdir
from coding.sandbox.base import Backend, SandboxError, SandboxUnavailable, StepProcess, StepSpec
from coding.sandbox.cgroups import RunCgroup
from coding.sandbox.config import setting
from coding.sandbox.processes import ExitInfo, children_of, readable, shell_exit_code_as_signal
from coding.sandbox.spawn import GATE_FD, SpawnedStep, SpawnPlan, rlimits_for, wrapper_argv

SANDBOX_USER = "sandbox"
PATH = "/usr/bin:/bin"
_MERGED_USR = ("bin", "sbin", "lib", "lib64", "lib32", "libx32")
_NPROC_BACKSTOP_FACTOR = 8
_INIT_EXIT_SECONDS = 2.0  # at most this long for the sandbox's init to finish exiting


def launcher_path() -> str:
    """``observer-launcher`` (launcher.c, built by scripts/install) if it is there and
    safe to run: a regular file owned by root or us that no one else can write."""
    path = str(setting("SANDBOX_LAUNCHER"))
    try:
        info = os.stat(path)
    except OSError:
        return ""
    if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022 or info.st_uid not in (0, os.geteuid()):
        return ""
    return path if os.access(path, os.X_OK) else ""


def base_env(spec: StepSpec) -> dict[str, str]:
    env = {
        "PATH": PATH,
        "HOME": "/work",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "USER": SANDBOX_USER,
        "LOGNAME": SANDBOX_USER,
    }
    env.update(spec.env)
    return env


def root_layout_args() -> list[str]:
    """Binds for the runtime: /usr read-only, /usr/local hidden, /bin etc. as on the host."""
    args = ["--ro-bind", "/usr", "/usr", "--tmpfs", "/usr/local", "--remount-ro", "/usr/local"]
    for name in _MERGED_USR:
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    if Path("/etc/ld.so.cache").exists():
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def work_files_args(spec: StepSpec, fds: list[int]) -> list[str]:
    """``--file`` arguments copying each source from its memfd into /work."""
    args: list[str] = []
    made: set[str] = set()
    for source, fd in zip(spec.files, fds, strict=True):
        path = PurePosixPath("/work", source.name)
        for parent in reversed(path.parents[:-2]):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--dir", str(parent)]
        args += ["--perms", "0644", "--file", str(fd), str(path)]
    return args


def memfd_with(content: bytes, name: str) -> int:
    fd = os.memfd_create(name[:200], os.MFD_CLOEXEC)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd


class BubblewrapStep(SpawnedStep):
    sweep_cgroup_before_reap = False

    def __init__(self, plan: SpawnPlan, status_fd: int) -> None:
        self._status_fd = status_fd
        self._status = b""
        self.init_pid: int | None = None
        # A pidfd of the init: bwrap reaps it, not us, so its pid may be reused by an
        # unrelated process at any time after it died; the pidfd never is.
        self._init_pidfd: int | None = None
        # Called once the step is over and swept (the warm pool counts running steps).
        self.on_done: Callable[[], None] | None = None
        self._status_loop: asyncio.AbstractEventLoop | None = None
        super().__init__(plan)

    def watch(self) -> None:
        super().watch()
        if self.init_pid is None and self._status_fd >= 0:
            # Learn the init's pid (and take a pidfd of it) as soon as bwrap says it.
            self._status_loop = asyncio.get_running_loop()
            self._status_loop.add_reader(self._status_fd, self._status_ready)

    def _status_ready(self) -> None:
        self._read_status()
        if self.init_pid is not None:
            self._stop_status_reader()

    def _stop_status_reader(self) -> None:
        loop, self._status_loop = self._status_loop, None
        if loop is not None and self._status_fd >= 0:
            loop.remove_reader(self._status_fd)

    def close_status(self) -> None:
        self._stop_status_reader()  # before the close: the fd number may be reused at once
        if self._status_fd >= 0:
            os.close(self._status_fd)
            self._status_fd = -1

    def _read_status(self) -> None:
        """bwrap writes ``{"child-pid": N}`` once the sandbox exists (the pid of its
        init on the host), then ``{"exit-code": N}``."""
        fd = self._status_fd
        if fd < 0:
            return
        while True:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self.close_status()
                break
            self._status += data
        if self.init_pid is None:
            for line in self._status.splitlines():
                with contextlib.suppress(ValueError, AttributeError):
                    pid = json.loads(line).get("child-pid")
                    # Only bwrap's own child can be the init; never trust anything else.
                    if isinstance(pid, int) and not self.reaped and pid in children_of(self.pid):
                        self._adopt_init(pid)
                        break

    def _adopt_init(self, pid: int) -> None:
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            return  # already gone (and reaped by bwrap)
        # Still bwrap's child after the open: the pidfd is the init's, not a reuse's.
        if pid in children_of(self.pid):
            self.init_pid, self._init_pidfd = pid, pidfd
        else:
            os.close(pidfd)

    def _signal_init(self, signum: int) -> bool:
        """Signal the init through its pidfd; False once it no longer exists."""
        if self._init_pidfd is None:
            return False
        try:
            signal.pidfd_send_signal(self._init_pidfd, signum)
        except OSError:
            return False
        return True

    def _close_init_pidfd(self) -> None:
        pidfd, self._init_pidfd = self._init_pidfd, None
        if pidfd is not None:
            os.close(pidfd)

    def program_pgid(self) -> int | None:
        # bwrap's --new-session calls setsid() in the sandbox's init, so the program
        # runs in the init's session and process group (the init ignores signals).
        # While the init exists (a zombie included) its pid, and so the group id, is
        # still its own.
        self._read_status()
        return self.init_pid if self._signal_init(0) else None

    def kill_tree(self) -> None:
        # Killing the pid namespace's init kills everything in the namespace; bwrap
        # then reaps it and exits. Killing bwrap first would orphan the init.
        self._read_status()
        if not self._signal_init(signal.SIGKILL):
            super().kill_tree()

    async def finish(self, info: ExitInfo) -> tuple[int | None, int | None, str]:
        self._read_status()
        started = b"child-pid" in self._status
        self.close_status()
        await self._init_gone()
        self._close_init_pidfd()
        if info.signal is not None:
            return None, info.signal, ""
        if not started and not self.killed:
            return info.exit_code, None, (
                f"bubblewrap could not create the sandbox (exit {info.exit_code})"
            )
        code, sig = shell_exit_code_as_signal(info.exit_code)
        return code, sig, ""

    async def _init_gone(self) -> None:
        """bwrap exits as soon as its init reports the program's exit; the init then
        tears the namespaces down (a millisecond or two). Waiting for that (its pidfd
        turns readable) lets the cgroup go at the first rmdir instead of a retry."""
        if self._init_pidfd is not None:
            with contextlib.suppress(TimeoutError, OSError):
                await asyncio.wait_for(readable(self._init_pidfd), _INIT_EXIT_SECONDS)

    async def cleanup(self) -> None:
        done, self.on_done = self.on_done, None
        if done is not None:
            done()


class BubblewrapBackend(Backend):
    name = "bubblewrap"

    def __init__(self) -> None:
        from coding.sandbox.warm import WarmPool

        self.bwrap = shutil.which(str(setting("SANDBOX_BWRAP"))) or ""
        # What sets the rlimits and drops the uid before bwrap (see spawn.wrapper_argv):
        # our launcher, else util-linux, else a preexec hook.
        self.helper = launcher_path()
        self.prlimit = shutil.which("prlimit", path="/usr/bin:/bin") or ""
        self.setpriv = shutil.which("setpriv", path="/usr/bin:/bin") or ""
        self.is_root = os.geteuid() == 0
        self.uid = int(setting("SANDBOX_UID"))
        self.gid = int(setting("SANDBOX_GID"))
        self._cgroups: cgroups.CgroupManager | None = None
        self._layout = root_layout_args()
        self.pool = WarmPool(self)

    @property
    def cgroups(self) -> cgroups.CgroupManager:
        if self._cgroups is None:
            self._cgroups = cgroup_detect.detect(
                preference=str(setting("SANDBOX_CGROUP")),
                name=str(setting("SANDBOX_CGROUP_NAME")),
                v2_parent=str(setting("SANDBOX_CGROUP_V2_PARENT")),
                cpu_quota=float(setting("SANDBOX_CPU_QUOTA")),
            )
            self._cgroups.sweep_stale()
            workdir.sweep_stale()
        return self._cgroups

    def cgroup_mode(self) -> str:
        return self.cgroups.mode

    @staticmethod
    def cpu_quota(spec: StepSpec) -> float:
        """Cores the step may use: compile steps (they write /build) have their own."""
        name = "SANDBOX_COMPILE_CPU_QUOTA" if spec.build_writable else "SANDBOX_CPU_QUOTA"
        return float(setting(name))

    def build_dir_owner(self) -> tuple[int, int] | None:
        return (self.uid, self.gid) if self.is_root else None

    def check(self) -> tuple[bool, str]:
        if not self.bwrap:
            return False, (
                "bubblewrap is not installed: apt-get install bubblewrap "
                "(or set SANDBOX_BACKEND='podman')"
            )
        argv = [self.bwrap, *self._namespace_args(), *self._layout, "/usr/bin/true"]
        try:
            probe = subprocess.run(
                argv, capture_output=True, timeout=10, env={},
                preexec_fn=self._drop_privileges if self.is_root else None,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"bubblewrap cannot run: {exc}"
        if probe.returncode != 0:
            detail = probe.stderr.decode(errors="replace").strip()
            return False, (
                f"bubblewrap cannot create a sandbox ({detail}); unprivileged user "
                "namespaces must be enabled: sysctl kernel.unprivileged_userns_clone=1 "
                "(Debian) or user.max_user_namespaces > 0"
            )
        return True, f"bubblewrap ready; {self.cgroups.message}; {self.pool.describe()}"

    def close(self) -> None:
        self.pool.close()

    def _drop_privileges(self) -> None:
        os.setgroups([])
        os.setgid(self.gid)
        os.setuid(self.uid)

    def _namespace_args(self) -> list[str]:
        return [
            "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
            "--die-with-parent", "--new-session",
        ]

    def build_argv(self, spec: StepSpec, file_fds: list[int], status_fd: int) -> list[str]:
        """The whole bwrap command line (the gated start passes the options by pipe)."""
        return [self.bwrap, *self.build_options(spec, file_fds, status_fd), "--", *spec.argv]

    def build_options(self, spec: StepSpec, file_fds: list[int], status_fd: int, *,
                      env: bool = True) -> list[str]:
        """bwrap's options; ``env=False`` for a warm sandbox, whose launcher gets the
        environment with the run (bwrap then starts it with an empty one)."""
        size = str(spec.limits.file_size_bytes)
        argv = [*self._namespace_args(), *self._layout]
        for path in spec.binds:
            argv += ["--ro-bind-try", path, path]
        if spec.needs_runtimes:
            modules = Path(str(setting("SANDBOX_RUNTIMES_DIR"))) / "node_modules"
            if not (modules / "typescript").is_dir():
                raise SandboxUnavailable(
                    f"TypeScript is not installed in {modules}: run "
                    "`npm ci --prefix runtimes` in the project directory"
                )
            argv += ["--ro-bind", str(modules), f"{RUNTIMES_MOUNT}/node_modules"]
        argv += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
        for writable in ("/dev/shm", "/tmp", "/work"):
            argv += ["--size", size, "--tmpfs", writable]
        argv += work_files_args(spec, file_fds)
        if spec.build_dir is not None:
            argv += ["--bind" if spec.build_writable else "--ro-bind", spec.build_dir, "/build"]
        argv += ["--remount-ro", "/", "--chdir", "/work", "--clearenv"]
        for key, value in base_env(spec).items() if env else ():
            argv += ["--setenv", key, value]
        argv += ["--json-status-fd", str(status_fd)]
        return argv

    def create_cgroup(self, spec: StepSpec) -> RunCgroup | None:
        try:
            return self.cgroups.create(spec.limits, cpu_quota=self.cpu_quota(spec))
        except OSError as exc:
            raise SandboxError(f"cannot create the run's cgroup: {exc}") from exc

    @staticmethod
    def rlimits(spec: StepSpec, *, cgroups: bool) -> list[tuple[int, int, int]]:
        """The step's rlimits; without cgroups they also stand in for memory and pids."""
        nproc = None if cgroups else spec.limits.max_processes * _NPROC_BACKSTOP_FACTOR
        return rlimits_for(spec.limits, address_space=not cgroups and spec.use_address_space_limit,
                           nproc=nproc)

    def plan(self, spec: StepSpec, *, options: list[str], program: Sequence[str],
             pass_fds: tuple[int, ...], group: RunCgroup | None) -> SpawnPlan:
        """How to spawn bwrap for ``spec`` with ``options`` running ``program``."""
        drop_to = (self.uid, self.gid) if self.is_root else None
        plan = SpawnPlan(
            argv=[self.bwrap, *options, "--", *program], limits=spec.limits, pass_fds=pass_fds,
            cgroup=group, rlimits=self.rlimits(spec, cgroups=group is not None), drop_to=drop_to,
            tty=spec.tty, rows=spec.rows, cols=spec.cols,
        )
        wrapper = wrapper_argv(plan.rlimits, drop_to, helper=self.helper, prlimit=self.prlimit,
                               setpriv=self.setpriv)
        if wrapper is not None:
            # Gated start: no Python between fork and exec (see spawn.wrapper_argv).
            plan = dataclasses.replace(
                plan, argv=[*wrapper, self.bwrap, "--args", GATE_FD, "--", *program],
                gate_args=options, rlimits=(), drop_to=None,
            )
        return plan

    async def start(self, spec: StepSpec) -> StepProcess:
        if not self.bwrap:
            raise SandboxUnavailable(self.check()[1])
        self.cgroups  # noqa: B018 - detects the layout and sweeps stale leftovers once
        warm = await self.pool.claim(spec)
        if warm is not None:
            return warm
        file_fds: list[int] = []
        status_r = status_w = -1
        group = None
        try:
            file_fds = [memfd_with(f.content, f.name) for f in spec.files]
            status_r, status_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
            os.set_blocking(status_w, True)
            options = self.build_options(spec, file_fds, status_w)
            group = self.create_cgroup(spec)
            plan = self.plan(spec, options=options, program=spec.argv,
                             pass_fds=(*file_fds, status_w), group=group)
            step = BubblewrapStep(plan, status_r)
            status_r = -1
            await step.launch()
            self.pool.count(step)
            return step
        except BaseException:
            if group is not None:
                await group.remove()
            raise
        finally:
            for fd in (*file_fds, status_w, status_r):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
