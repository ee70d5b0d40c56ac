"""The bubblewrap backend (the default on Linux).

Each step runs in a fresh ``bwrap`` sandbox: new user, pid, network, ipc, uts, mount
and cgroup namespaces, no further user namespaces (``--disable-userns``); the seccomp
filter of :mod:`coding.sandbox.policy` (``--seccomp``: no sandbox starts without it);
a read-only root holding only ``/usr`` (minus ``/usr/local``), the dynamic linker
cache and the paths the language declares; ``/proc`` with the kernel's keys, symbols
and timers masked; size-limited tmpfs ``/work`` (the sources, copied in from memfds:
the host never writes a file there) and ``/tmp``; uid/gid 65534 inside and, when the
server is root, a host uid of the run's own (:mod:`coding.sandbox.uids`); a new
session; killed with its parent. Limits come from the run's cgroup (memory, pids, CPU
quota) and rlimits (CPU seconds, file size, open files, no core files); a run's
``/build`` is a tmpfs of its own with a size and inode quota (:mod:`coding.sandbox.mounts`).

Because the sandbox has its own pid namespace, killing its init takes every process
of the run with it, daemons and double forks included.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import select
import shutil
import signal
import stat
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from coding.languages import RUNTIMES_MOUNT
from coding.sandbox import cgroup_detect, cgroups, mounts, seccomp, workdir
from coding.sandbox.base import Backend, SandboxError, SandboxUnavailable, StepProcess, StepSpec
from coding.sandbox.cgroups import RunCgroup
from coding.sandbox.config import setting
from coding.sandbox.policy import Protection
from coding.sandbox.processes import ExitInfo, children_of, readable, shell_exit_code_as_signal
from coding.sandbox.spawn import GATE_FD, SpawnedStep, SpawnPlan, rlimits_for, wrapper_argv
from coding.sandbox.uids import UidPool, UidSlot

log = logging.getLogger(__name__)

SANDBOX_USER = "sandbox"
PATH = "/usr/bin:/bin"
_MERGED_USR = ("bin", "sbin", "lib", "lib64", "lib32", "libx32")
_NPROC_BACKSTOP_FACTOR = 8
_INIT_EXIT_SECONDS = 2.0  # at most this long for the sandbox's init to finish exiting
# What --proc leaves readable that a program has no business reading: the kernel's
# keys (and every uid's key quota), its symbol table, its timers (a side channel on
# other processes), and the magic SysRq trigger. /dev/null is bound over each: they read
# empty.
MASKED_PROC = ("/proc/keys", "/proc/key-users", "/proc/kallsyms", "/proc/timer_list",
               "/proc/sysrq-trigger")


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


_LINGER_SECONDS = 600.0  # how long a lingering init may keep its uid before it is forgotten


def _release_after_exit(pidfd: int, slot: UidSlot) -> None:
    """Give ``slot`` back once the process behind ``pidfd`` has exited."""
    try:
        gone = bool(select.select([pidfd], [], [], _LINGER_SECONDS)[0])
    finally:
        os.close(pidfd)
    if gone:
        slot.release()
    else:
        log.warning("sandbox uid %s stays reserved: the sandbox's init did not exit", slot.uid)


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
        # The host uid the step runs as (None: the server's), and the slot that reserves
        # it when the step owns it: released once every process of the step is gone.
        self.host_uid: int | None = None
        self.slot: UidSlot | None = None
        self._init_exited = False
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
        if not self._init_exited and self._init_pidfd is not None and self.slot is not None:
            # Its teardown outlasts the wait (a loaded machine): the uid is given back
            # once the init is gone, from a thread, and never before.
            pidfd, self._init_pidfd = self._init_pidfd, None
            slot, self.slot = self.slot, None
            threading.Thread(target=_release_after_exit, args=(pidfd, slot), daemon=True,
                             name="sandbox-uid-release").start()
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
                self._init_exited = True

    def release_slot(self, *, safe: bool) -> None:
        """Give the step's uid back, only once nothing of the step can still run as it
        (``safe``: the init, and so its pid namespace, is gone); else keep it held."""
        slot, self.slot = self.slot, None
        if slot is not None and safe:
            slot.release()
        elif slot is not None:
            log.warning("sandbox uid %s stays reserved: the sandbox's init did not exit", slot.uid)

    async def cleanup(self) -> None:
        self.release_slot(safe=self._init_exited or self.init_pid is None)
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
        # Not root: every sandbox runs as the server's own uid (reported as degraded).
        self.uids = UidPool.from_settings() if self.is_root else None
        self.filter = seccomp.load()
        self.disables_userns = self._supports("--disable-userns")
        self._proc_masks = [path for path in MASKED_PROC if os.path.exists(path)]
        self._build_slots: dict[str, UidSlot] = {}
        # Why /build cannot get its quota here (no root, or the kernel refused the mount).
        self.build_quota_problem = "" if mounts.can_mount() else "the server is not root"
        self._cgroups: cgroups.CgroupManager | None = None
        self._layout = root_layout_args()
        self.pool = WarmPool(self)

    def _supports(self, option: str) -> bool:
        """Whether this bwrap knows ``option`` (--disable-userns: bubblewrap 0.8+)."""
        if not self.bwrap:
            return False
        try:
            shown = subprocess.run([self.bwrap, "--help"], capture_output=True, timeout=10, env={})
        except (OSError, subprocess.SubprocessError):
            return False
        return option.encode() in shown.stdout + shown.stderr

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

    def claim_uid(self) -> UidSlot | None:
        """A host uid of the machine's range for one sandbox (None: not root, every
        sandbox runs as the server's uid)."""
        return self.uids.claim() if self.uids is not None else None

    async def make_build_dir(self) -> str:
        """The run's /build: a host directory owned by the run's uid (claimed here and
        used by both its steps), with a tmpfs of its own as quota when we are root."""
        slot = self.claim_uid()
        path = ""
        try:
            path = workdir.make_private_dir("build-")
            if slot is not None:
                self._mount_build(path, slot)
        except BaseException as exc:
            if path:
                workdir.remove_tree(path)
            if slot is not None:
                slot.release()
            if isinstance(exc, OSError):
                raise SandboxError(f"cannot make the run's build directory: {exc}") from exc
            raise
        if slot is not None:
            self._build_slots[path] = slot
        return path

    def _mount_build(self, path: str, slot: UidSlot) -> None:
        """The quota tmpfs over ``path``; where the kernel refuses mounts (a container
        without CAP_SYS_ADMIN) the plain directory, given to the run's uid, and the
        protections report says /build has no quota."""
        if not self.build_quota_problem:
            try:
                mounts.mount_tmpfs(path, size=int(setting("SANDBOX_BUILD_BYTES")),
                                   inodes=int(setting("SANDBOX_BUILD_INODES")), uid=slot.uid, gid=slot.gid)
                return
            except PermissionError as exc:
                self.build_quota_problem = f"the kernel refused the mount ({exc.strerror})"
                log.error("no /build quota on this host: %s", self.build_quota_problem)
        os.chown(path, slot.uid, slot.gid)

    async def remove_build_dir(self, path: str) -> None:
        slot = self._build_slots.pop(path, None)
        if slot is not None:
            try:
                mounts.unmount(path)
            except OSError as exc:
                log.warning("cannot unmount the build directory %s: %s", path, exc)
        await asyncio.to_thread(workdir.remove_tree, path)
        if slot is not None:
            slot.release()  # its steps are over: each waited for its sandbox to be gone

    def _probe_argv(self, filter_fd: int | None) -> list[str]:
        argv = [self.bwrap, *self._namespace_args(), *self._layout, "--proc", "/proc"]
        argv += self._mask_args()
        if filter_fd is not None:
            argv += ["--seccomp", str(filter_fd)]
        return [*argv, "/usr/bin/true"]

    def check(self) -> tuple[bool, str]:
        if not self.bwrap:
            return False, (
                "bubblewrap is not installed: apt-get install bubblewrap "
                "(or set SANDBOX_BACKEND='podman')"
            )
        if not self.filter.usable:
            return False, self.filter.problem
        filter_fd = self.filter.memfd()
        slot = None
        try:
            slot = self.claim_uid()
            ids = (slot.uid, slot.gid) if slot is not None else None
            probe = subprocess.run(
                self._probe_argv(filter_fd), capture_output=True, timeout=10, env={},
                pass_fds=(filter_fd,), preexec_fn=(lambda: self._drop_privileges(ids)) if ids else None,
            )
        except (OSError, subprocess.SubprocessError, SandboxError) as exc:
            return False, f"bubblewrap cannot run: {exc}"
        finally:
            os.close(filter_fd)
            if slot is not None:
                slot.release()
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

    @staticmethod
    def _drop_privileges(ids: tuple[int, int]) -> None:
        os.setgroups([])
        os.setgid(ids[1])
        os.setuid(ids[0])

    def _namespace_args(self) -> list[str]:
        # --disable-userns: the sandbox cannot make user namespaces of its own (where it
        # would hold every capability, and reach nf_tables, AF_PACKET, mounts...);
        # --assert-userns-disabled makes bwrap fail rather than start without that.
        userns = ["--disable-userns", "--assert-userns-disabled"] if self.disables_userns else []
        return [
            "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", *userns,
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
            "--die-with-parent", "--new-session",
        ]

    def _mask_args(self) -> list[str]:
        args: list[str] = []
        for path in self._proc_masks:
            # --dev-bind: a plain bind is nodev, and /dev/null there would refuse reads
            # (EACCES); as a device it reads empty and swallows writes, as under Docker.
            args += ["--dev-bind", "/dev/null", path]
        return args

    def protections(self) -> list[Protection]:
        found = [
            Protection("seccomp filter", "active" if self.filter.usable else "degraded",
                       self.filter.describe() + ("" if self.filter.usable else "; runs are refused")),
            Protection("no nested user namespaces", "active", "bwrap --disable-userns "
                       "--assert-userns-disabled, and the filter refuses unshare and namespace clones")
            if self.disables_userns else
            Protection("no nested user namespaces", "degraded", "this bubblewrap has no "
                       "--disable-userns (0.8+); only the seccomp filter refuses unshare and "
                       "namespace clones"),
            Protection("host uid per run", "active", self.uids.describe()) if self.uids else
            Protection("host uid per run", "degraded", f"the server is not root: every sandbox "
                       f"runs as its uid {os.geteuid()} (shared keyring quota, RLIMIT_NPROC count)"),
            Protection("masked /proc files", "active", ", ".join(self._proc_masks) or "none present"),
            Protection("/build quota", "active", f"a tmpfs per run: {int(setting('SANDBOX_BUILD_BYTES'))} "
                       f"bytes, {int(setting('SANDBOX_BUILD_INODES'))} inodes")
            if self.uids and not self.build_quota_problem else
            Protection("/build quota", "degraded", f"{self.build_quota_problem or 'the server is not root'}: "
                       "/build is a plain host directory, bounded per file only"),
            Protection("cgroup limits", "active" if self.cgroups.mode != "none" else "degraded",
                       self.cgroups.message),
        ]
        found += host_hardening()
        return found

    def build_options(self, spec: StepSpec, file_fds: list[int], status_fd: int, filter_fd: int, *,
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
        argv += ["--proc", "/proc", *self._mask_args(), "--dev", "/dev", "--remount-ro", "/dev"]
        for writable in ("/dev/shm", "/tmp", "/work"):
            argv += ["--size", size, "--tmpfs", writable]
        argv += work_files_args(spec, file_fds)
        if spec.build_dir is not None:
            argv += ["--bind" if spec.build_writable else "--ro-bind", spec.build_dir, "/build"]
        argv += ["--remount-ro", "/", "--chdir", "/work", "--clearenv"]
        for key, value in base_env(spec).items() if env else ():
            argv += ["--setenv", key, value]
        argv += ["--json-status-fd", str(status_fd), "--seccomp", str(filter_fd)]
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
             pass_fds: tuple[int, ...], group: RunCgroup | None, slot: UidSlot | None) -> SpawnPlan:
        """How to spawn bwrap for ``spec`` with ``options`` running ``program`` as
        ``slot``'s uid (None: the server's own)."""
        drop_to = (slot.uid, slot.gid) if slot is not None else None
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

    def step_slot(self, spec: StepSpec) -> tuple[UidSlot | None, bool]:
        """The uid a step runs as, and whether the step owns it (a step with a /build
        uses its run's, claimed with the directory)."""
        if spec.build_dir is not None and spec.build_dir in self._build_slots:
            return self._build_slots[spec.build_dir], False
        return self.claim_uid(), True

    async def start(self, spec: StepSpec) -> StepProcess:
        if not self.bwrap:
            raise SandboxUnavailable(self.check()[1])
        if not self.filter.usable:
            raise SandboxUnavailable(self.filter.problem)
        self.cgroups  # noqa: B018 - detects the layout and sweeps stale leftovers once
        warm = await self.pool.claim(spec)
        if warm is not None:
            return warm
        file_fds: list[int] = []
        status_r = status_w = filter_fd = -1
        group = None
        step: BubblewrapStep | None = None
        slot, owned = self.step_slot(spec)
        try:
            file_fds = [workdir.memfd_with(f.content, f.name) for f in spec.files]
            status_r, status_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
            os.set_blocking(status_w, True)
            filter_fd = self.filter.memfd()
            options = self.build_options(spec, file_fds, status_w, filter_fd)
            group = self.create_cgroup(spec)
            plan = self.plan(spec, options=options, program=spec.argv,
                             pass_fds=(*file_fds, status_w, filter_fd), group=group, slot=slot)
            step = BubblewrapStep(plan, status_r)
            status_r = -1
            step.host_uid = slot.uid if slot is not None else None
            if owned:
                step.slot, slot = slot, None
            await step.launch()
            self.pool.count(step)
            return step
        except BaseException:
            if step is not None and not step.pid:
                step.release_slot(safe=True)  # it never started
            if group is not None:
                await group.remove()
            raise
        finally:
            if owned and slot is not None:
                slot.release()  # never handed to a step: nothing ran as it
            for fd in (*file_fds, status_w, status_r, filter_fd):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)


def host_hardening(sysctl: Path = Path("/proc/sys")) -> list[Protection]:
    """The kernel settings only an operator can apply (deploy/RUNBOOK.md): reported,
    never required (the seccomp filter already refuses both interfaces to sandboxes)."""
    found = []
    for name, wanted, what in (
        ("kernel.io_uring_disabled", 2, "io_uring to every process of the host"),
        ("kernel.perf_event_paranoid", 2, "kernel profiling to unprivileged users (3 on Debian kernels: all perf)"),
    ):
        path = sysctl / name.replace(".", "/")
        try:
            value = int(path.read_text().strip())
        except (OSError, ValueError):
            found.append(Protection(name, "off", "not offered by this kernel"))
            continue
        if value >= wanted:
            found.append(Protection(name, "active", f"{value}: the kernel refuses {what}"))
        else:
            found.append(Protection(name, "off", f"{value}; {wanted} would refuse {what} "
                                    "(deploy/RUNBOOK.md, scripts/install)"))
    return found
