"""The podman backend: each step is a ``podman run`` of a throwaway container.

The container's root is the skeleton from ``deploy/podman/setup.sh``, imported as the
image SKELETON_IMAGE (or an image named by SANDBOX_PODMAN_IMAGE), with the host's /usr
and the runtime's /etc paths bind-mounted read-only; ``--read-only``, ``--network
none``, uid 65534, all capabilities dropped, no-new-privileges, memory/pids/cpus limits
and ulimits, and size-capped tmpfs /work, /tmp and /dev/shm. The sources are written
(without following symlinks) to a private host directory mounted read-only at /src and
copied into the tmpfs /work by a fixed ``sh -c`` line before the program is exec'd.

The kernel surface is the bubblewrap backend's (``coding.sandbox.policy``): a seccomp
profile derived from podman's default (``podman_seccomp``), ``--userns=auto`` so each
container has host ids of its own (no shared keyring, RLIMIT_NPROC count or per-user
kernel counter between runs), a cgroup namespace of its own, /sys hidden under an
empty tmpfs and the same /proc files masked. The ulimits given to crun never exceed
the server's own hard limits: crun, without CAP_SYS_RESOURCE in the container's user
namespace, cannot raise them, and refuses the container (``setrlimit RLIMIT_NPROC:
Operation not permitted`` under systemd's ``LimitNPROC``). :meth:`protections` says
which of these apply on this host.

The CLI is used for runs: it measured faster here than podman-py over the REST API
(see docs/sandbox.md). The container lives in a cgroup of ours (``--cgroup-parent``)
so the run's CPU time, peak memory and memory-limit hits can be read after podman
has removed the container's own cgroup.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import resource
import secrets
import shutil
import signal
import subprocess
from pathlib import Path

from coding.languages import RUNTIMES_MOUNT
from coding.sandbox import cgroup_detect, cgroups, podman_seccomp, workdir
from coding.sandbox.base import (
    Backend,
    Limits,
    SandboxError,
    SandboxUnavailable,
    StepOutcome,
    StepProcess,
    StepSpec,
)
from coding.sandbox.bubblewrap import MASKED_PROC, base_env, host_hardening
from coding.sandbox.cgroups import RunCgroup
from coding.sandbox.config import setting
from coding.sandbox.policy import Protection
from coding.sandbox.processes import ExitInfo, shell_exit_code_as_signal, signal_quietly
from coding.sandbox.spawn import SpawnedStep, SpawnPlan

# Copies the sources into the tmpfs work dir, then becomes the program. Constant:
# the program's argv follows as positional parameters, never inside the script.
_ENTRY_SCRIPT = 'cp -R /src/. /work/ && exec "$@"'
# conmon lives in the run's cgroup with the container; leave it room so the program
# gets the whole limit.
_CONMON_SLACK = 32 * 1024 * 1024
_PODMAN_ERRORS = (125, 126, 127)
_counter = itertools.count(1)
# The image deploy/podman/setup.sh imports from the skeleton rootfs (it says the same).
SKELETON_IMAGE = "localhost/observer-skeleton:latest"
# Ids of one container (--userns=auto:size=...): 0..65535, so uid 65534 is mapped.
USERNS_SIZE = 65536
# The container's process-count ceiling (the pids cgroup is the per-run limit).
CONTAINER_NPROC = 4096
_RLIMITS = {
    "nproc": resource.RLIMIT_NPROC, "nofile": resource.RLIMIT_NOFILE, "cpu": resource.RLIMIT_CPU,
    "fsize": resource.RLIMIT_FSIZE, "core": resource.RLIMIT_CORE,
}


def podman_env() -> dict[str, str]:
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "CONTAINERS_CONF": str(setting("SANDBOX_PODMAN_CONTAINERS_CONF")),
        "HOME": "/root" if os.geteuid() == 0 else os.environ.get("HOME", "/tmp"),
    }


def v1_mounts(mountinfo: str | None = None) -> list[Path]:
    """Every cgroup hierarchy of a v1 or hybrid host: podman (cgroupfs) creates the
    run's --cgroup-parent path in all of them, the hybrid cgroup2 mount included."""
    if mountinfo is None:
        mountinfo = Path("/proc/self/mountinfo").read_text()
    mounts = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        if right.split()[:1] in (["cgroup"], ["cgroup2"]):
            mounts.append(Path(left.split()[4]))
    return mounts


def account(outcome: StepOutcome, stats: cgroups.CgroupStats, *, mode: str, memory_limit: int,
            killed_by_us: bool) -> StepOutcome:
    """The step's outcome with CPU, peak memory and OOM read from the run cgroup that
    held the container (podman removed the container's own cgroup with ``--rm``).

    v2's ``memory.events`` is hierarchical, so the container's OOM kill is counted in
    ours. v1's ``oom_control`` is not: there, a program the kernel SIGKILLed while our
    cgroup's usage reached the limit is taken as an OOM kill."""
    killed_by_kernel = outcome.signal == signal.SIGKILL and not killed_by_us
    peak_kb = stats.peak_memory_kb or 0
    at_limit = peak_kb * 1024 >= memory_limit and killed_by_kernel
    oom = outcome.oom_killed or at_limit or (mode == "v2" and stats.oom_killed)
    return dataclasses.replace(
        outcome,
        cpu_ms=stats.cpu_ms if stats.cpu_ms is not None else outcome.cpu_ms,
        peak_memory_kb=min(peak_kb, memory_limit // 1024),
        oom_killed=oom,
    )


def clamped_ulimit(name: str, soft: int, hard: int) -> tuple[int, int]:
    """``(soft, hard)`` lowered to the server's own hard limit: crun cannot raise it."""
    ceiling = resource.getrlimit(_RLIMITS[name])[1]
    if ceiling == resource.RLIM_INFINITY:
        return soft, hard
    return min(soft, ceiling), min(hard, ceiling)


def ulimit_args(wanted: dict[str, tuple[int, int]]) -> list[str]:
    args = []
    for name, (soft, hard) in wanted.items():
        soft, hard = clamped_ulimit(name, soft, hard)
        args += ["--ulimit", f"{name}={soft}:{hard}"]
    return args


def subid_range(user: str = "containers", files: tuple[str, ...] = ("/etc/subuid", "/etc/subgid"),
                ) -> tuple[int, int] | None:
    """``(start, count)`` of ``user``'s ids in both /etc/subuid and /etc/subgid (the
    pool of ``--userns=auto``), when both have one big enough for a container."""
    found = []
    for path in files:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError:
            return None
        entries = [line.split(":") for line in lines if line.startswith(f"{user}:")]
        ranges = [(int(e[1]), int(e[2])) for e in entries if len(e) == 3 and e[1].isdigit() and e[2].isdigit()]
        if not ranges or max(count for _, count in ranges) < USERNS_SIZE:
            return None
        found.append(max(ranges, key=lambda r: r[1]))
    return found[0]


class PodmanStep(SpawnedStep):
    def __init__(self, plan: SpawnPlan, *, backend: PodmanBackend, name: str, host_dir: str,
                 run_cgroup: cgroups.RunCgroup | None, relative_cgroup: str | None,
                 memory_limit: int) -> None:
        self.backend = backend
        self.name = name
        self.host_dir = host_dir
        self.run_cgroup = run_cgroup
        self.relative_cgroup = relative_cgroup
        self.memory_limit = memory_limit
        self.cgroup_stats: cgroups.CgroupStats | None = None
        self._remover: asyncio.Task[None] | None = None
        super().__init__(plan)
        # conmon and the container live below the run cgroup; our podman client does
        # not join it, but the total-CPU watchdog watches it.
        self.watch_cgroup = run_cgroup

    def program_pgid(self) -> int | None:
        return None  # signals go through the container's terminal, see signal_program

    def signal_program(self, signum: int) -> None:
        if signum == signal.SIGINT and self.plan.tty:
            self.write(b"\x03")  # the container's terminal turns it into SIGINT
        else:
            for pid in self.container_pids():
                signal_quietly(pid, signum)

    def resize(self, rows: int, cols: int) -> None:
        super().resize(rows, cols)
        if not self.reaped:
            signal_quietly(self.pid, signal.SIGWINCH)  # podman forwards its terminal size

    def container_pids(self) -> set[int]:
        """Processes of the container (in our cgroup but not conmon's sub-cgroup)."""
        if self.run_cgroup is None:
            return set()
        conmon = cgroups.RunCgroup(self.run_cgroup.mode, {
            key: directory / "conmon" for key, directory in self.run_cgroup.dirs.items()
        }, nested=True)
        return self.run_cgroup.pids() - conmon.pids()

    def kill_tree(self) -> None:
        # The container's processes are children of conmon, not of our podman client:
        # kill them through the cgroup; podman run then exits and removes the container.
        for pid in self.container_pids():
            signal_quietly(pid, signal.SIGKILL)
        if self._remover is None:
            self._remover = asyncio.get_running_loop().create_task(self._force_remove())

    async def _force_remove(self) -> None:
        await self.backend.podman("rm", "--force", "--time", "0", "--ignore", self.name)

    async def finish(self, info: ExitInfo) -> tuple[int | None, int | None, str]:
        if info.signal is not None:
            return None, info.signal, ""
        if info.exit_code in _PODMAN_ERRORS and not self.killed:
            return info.exit_code, None, f"podman could not run the container (exit {info.exit_code})"
        code, sig = shell_exit_code_as_signal(info.exit_code)
        return code, sig, ""

    async def cleanup(self) -> None:
        if self._remover is not None:
            await self._remover
        if self.run_cgroup is not None:
            self.cgroup_stats = self.run_cgroup.stats()
            await self.run_cgroup.remove()
        if self.relative_cgroup is not None:
            # cgroupfs creates the --cgroup-parent path in every hierarchy (v1 and
            # hybrid hosts), not only in the controllers we made it in.
            leftovers = cgroups.RunCgroup(
                "v1", {str(m): m / self.relative_cgroup.lstrip("/") for m in v1_mounts()}, nested=True
            )
            await leftovers.remove()
        await asyncio.to_thread(workdir.remove_tree, self.host_dir)

    async def wait(self) -> StepOutcome:  # type: ignore[override]
        outcome = await super().wait()
        if self.cgroup_stats is None or self.run_cgroup is None:
            return outcome
        return account(outcome, self.cgroup_stats, mode=self.run_cgroup.mode,
                       memory_limit=self.memory_limit, killed_by_us=self.killed)


class PodmanBackend(Backend):
    name = "podman"

    def __init__(self) -> None:
        self.podman_path = shutil.which(str(setting("SANDBOX_PODMAN"))) or ""
        self.image = str(setting("SANDBOX_PODMAN_IMAGE")) or SKELETON_IMAGE
        self.rootfs = str(setting("SANDBOX_PODMAN_ROOTFS"))
        self.conf = str(setting("SANDBOX_PODMAN_CONTAINERS_CONF"))
        self._cgroups: cgroups.CgroupManager | None = None
        # Rootful podman draws each container's ids from the `containers` range.
        self.subids = subid_range() if os.geteuid() == 0 else None
        self.proc_masks = [path for path in MASKED_PROC if os.path.exists(path)]
        self._seccomp: tuple[str | None, str] | None = None

    @property
    def seccomp(self) -> tuple[str | None, str]:
        """``(profile path, what it was derived from)``; no path when none could be.
        Derived once, and again should the file go (a /var/tmp cleaner)."""
        if self._seccomp is None or (self._seccomp[0] and not os.path.exists(self._seccomp[0])):
            try:
                path, origin = podman_seccomp.profile_path()
                self._seccomp = str(path), origin
            except (podman_seccomp.ProfileUnavailable, OSError, SandboxError) as exc:
                self._seccomp = None, str(exc)
        return self._seccomp

    @property
    def cgroups(self) -> cgroups.CgroupManager:
        if self._cgroups is None:
            self._cgroups = cgroup_detect.detect(
                preference=str(setting("SANDBOX_CGROUP")),
                name=str(setting("SANDBOX_CGROUP_NAME")),
                v2_parent=str(setting("SANDBOX_CGROUP_V2_PARENT")),
                cpu_quota=0.0,  # podman sets --cpus itself
            )
            name = str(setting("SANDBOX_CGROUP_NAME"))
            self._cgroups.sweep_stale([mount / name for mount in v1_mounts()])
            workdir.sweep_stale()
        return self._cgroups

    def cgroup_mode(self) -> str:
        return self.cgroups.mode

    async def podman(self, *args: str) -> tuple[int, bytes]:
        process = await asyncio.create_subprocess_exec(
            self.podman_path, *args, env=podman_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        return process.returncode or 0, output

    def check(self) -> tuple[bool, str]:
        if not self.podman_path:
            return False, "podman is not installed: apt-get install podman crun catatonit"
        if not Path(self.conf).is_file():
            return False, f"SANDBOX_PODMAN_CONTAINERS_CONF {self.conf} does not exist"
        exists = subprocess.run([self.podman_path, "image", "exists", self.image],
                                capture_output=True, env=podman_env(), timeout=60, check=False)
        if exists.returncode != 0:
            return False, (
                f"no podman image {self.image}: run `sh deploy/podman/setup.sh` as root (it imports "
                f"the skeleton rootfs {self.rootfs}), or set SANDBOX_PODMAN_IMAGE"
            )
        probe = subprocess.run(
            [self.podman_path, "run", *self._container_args("observer-probe-" + secrets.token_hex(4)),
             "--volume", "/usr:/usr:ro", self.image, "/usr/bin/true"],
            capture_output=True, env=podman_env(), timeout=60, check=False,
        )
        if probe.returncode == 0:
            self._remove_stale_containers()
        else:
            detail = (probe.stdout + probe.stderr).decode(errors="replace").strip()[-500:]
            hint = ""
            if "hugetlb" in detail or "cgroup" in detail:
                hint = " (on hybrid cgroup v1 hosts run `sh deploy/podman/setup.sh` after each boot)"
            return False, f"podman cannot start a sandbox container: {detail}{hint}"
        return True, f"podman ready; {self.cgroups.message}"

    def _remove_stale_containers(self) -> None:
        """Containers of server processes that died without cleaning up."""
        listing = subprocess.run(
            [self.podman_path, "ps", "-a", "--filter", "name=^observer-run-", "--format", "{{.Names}}"],
            capture_output=True, env=podman_env(), timeout=60, check=False,
        )
        stale = [
            name for name in listing.stdout.decode().split()
            if name.split("-")[2].isdigit() and not Path(f"/proc/{name.split('-')[2]}").exists()
        ]
        if stale:
            subprocess.run([self.podman_path, "rm", "--force", "--time", "0", *stale],
                           capture_output=True, env=podman_env(), timeout=120, check=False)

    def _container_args(self, name: str, *, open_files: int = 256) -> list[str]:
        args = [
            "--rm", "--name", name, "--pull", "never",
            "--network", "none", "--read-only", "--read-only-tmpfs=false",
            "--user", f"{setting('SANDBOX_UID')}:{setting('SANDBOX_GID')}", "--cap-drop", "all",
            "--security-opt", "no-new-privileges", "--init",
            "--log-driver", "none", "--hostname", "sandbox",
            # Nothing of the host's /etc/hosts or containers.conf's environment (TERM...);
            # with --network none podman writes no resolv.conf (and refuses --dns).
            "--no-hosts", "--unsetenv-all",
            "--cgroupns", "private",
            # An empty read-only tmpfs over /sys (the cgroup mount below it included:
            # limits are read on the host) and over the /proc files bubblewrap masks.
            "--security-opt", "mask=" + ":".join(["/sys", *self.proc_masks]),
            *ulimit_args({"nproc": (CONTAINER_NPROC, CONTAINER_NPROC), "nofile": (open_files, open_files)}),
        ]
        profile, _ = self.seccomp
        if profile:
            args += ["--security-opt", f"seccomp={profile}"]
        if self.subids:
            args += ["--userns", f"auto:size={USERNS_SIZE}"]
        return args

    def build_argv(self, spec: StepSpec, *, name: str, src_dir: str,
                   cgroup_parent: str | None) -> list[str]:
        limits = spec.limits
        size = limits.file_size_bytes
        cpu = max(1, int(limits.cpu_seconds + 0.999))
        quota_setting = "SANDBOX_COMPILE_CPU_QUOTA" if spec.build_writable else "SANDBOX_CPU_QUOTA"
        quota = float(setting(quota_setting)) or float(os.cpu_count() or 1)
        argv = [self.podman_path, "run", "-i", *(["-t"] if spec.tty else [])]
        argv += self._container_args(name, open_files=limits.open_files)
        argv += ulimit_args({"cpu": (cpu, cpu + 1), "fsize": (size, size), "core": (0, 0)})
        argv += [
            "--memory", str(limits.memory_bytes), "--memory-swap", str(limits.memory_bytes),
            "--pids-limit", str(limits.max_processes + 2),  # + catatonit and sh
            "--cpus", f"{quota:g}",
            "--shm-size", str(size),
            # notmpcopyup: podman would copy what lies below into the tmpfs (for
            # /usr/local: the host's, which the empty read-only tmpfs is there to hide).
            "--tmpfs", f"/work:rw,size={size},mode=1777,nosuid,nodev,notmpcopyup",
            "--tmpfs", f"/tmp:rw,size={size},mode=1777,nosuid,nodev,notmpcopyup",
            "--volume", "/usr:/usr:ro",
            "--tmpfs", "/usr/local:ro,size=4k,mode=755,nosuid,nodev,notmpcopyup",
            "--volume", "/etc/ld.so.cache:/etc/ld.so.cache:ro",
            "--volume", f"{src_dir}:/src:ro",
            "--workdir", "/work",
        ]
        if cgroup_parent:
            argv += ["--cgroup-parent", cgroup_parent]
        for path in spec.binds:
            if Path(path).exists():
                argv += ["--volume", f"{path}:{path}:ro"]
        if spec.needs_runtimes:
            modules = Path(str(setting("SANDBOX_RUNTIMES_DIR"))) / "node_modules"
            if not (modules / "typescript").is_dir():
                raise SandboxUnavailable(
                    f"TypeScript is not installed in {modules}: run `npm ci --prefix runtimes`"
                )
            argv += ["--volume", f"{modules}:{RUNTIMES_MOUNT}/node_modules:ro"]
        if spec.build_dir is not None:
            mode = "rw" if spec.build_writable else "ro"
            # U: podman gives the directory to the container's own (remapped) uid, the
            # compile step's to write, the run step's to read.
            argv += ["--volume", f"{spec.build_dir}:/build:{mode}{',U' if self.subids else ''}"]
        for key, value in base_env(spec).items():
            argv += ["--env", f"{key}={value}"]
        argv += [self.image, "/bin/sh", "-c", _ENTRY_SCRIPT, "sh", *spec.argv]
        return argv

    def build_dir_owner(self) -> tuple[int, int] | None:
        if self.subids or os.geteuid() != 0:
            return None  # remapped: the volume's U option gives it to the container
        return int(setting("SANDBOX_UID")), int(setting("SANDBOX_GID"))

    def protections(self) -> list[Protection]:
        profile, origin = self.seccomp
        complete = profile is not None and origin.startswith("podman's default")
        found = [
            Protection("seccomp filter", "active" if complete else "degraded",
                       f"{origin}: {profile}" if profile else f"{origin}: runs get podman's built-in "
                       "profile, which allows keyctl and unshare(CLONE_NEWUSER)"),
            Protection("no nested user namespaces", "active" if profile else "degraded",
                       "the profile refuses unshare, setns and namespace clones" if profile else
                       "podman's default profile allows unshare(CLONE_NEWUSER)"),
        ]
        if self.subids:
            start, count = self.subids
            found.append(Protection("host uid per run", "active", f"--userns=auto: {USERNS_SIZE} ids "
                                    f"per container from {start}..{start + count - 1} (/etc/subuid)"))
        elif os.geteuid() != 0:
            found.append(Protection("host uid per run", "degraded", "rootless podman: every container "
                                    "maps into the server user's ids"))
        else:
            found.append(Protection("host uid per run", "degraded", "no `containers` range of at least "
                                    f"{USERNS_SIZE} ids in /etc/subuid and /etc/subgid (deploy/podman/"
                                    "setup.sh writes it): every container runs as host uid "
                                    f"{setting('SANDBOX_UID')}, one keyring and RLIMIT_NPROC count for all"))
        found += [
            Protection("cgroup namespace", "active", "--cgroupns=private"),
            Protection("masked /sys", "active", "an empty read-only tmpfs"),
            Protection("masked /proc files", "active", ", ".join(self.proc_masks) or "none present"),
            self._ulimit_protection(),
            Protection("cgroup limits", "active" if self.cgroups.mode != "none" else "degraded",
                       self.cgroups.message),
        ]
        return found + host_hardening()

    def _ulimit_protection(self) -> Protection:
        """The container's ulimits against the server's hard limits (crun cannot raise them)."""
        defaults = Limits()
        wanted = {"nproc": CONTAINER_NPROC, "nofile": defaults.open_files}
        needed = {"nproc": defaults.max_processes + 2, "nofile": 64}
        clamps = []
        short = []
        for name, value in wanted.items():
            got = clamped_ulimit(name, value, value)[1]
            if got < value:
                clamps.append(f"{name} {value} -> {got}")
            if got < needed[name]:
                short.append(f"{name} {got} is below the {needed[name]} a run needs")
        if short:
            return Protection("ulimits", "degraded", "the server's hard limits are too low (systemd "
                              "LimitNPROC/LimitNOFILE): " + "; ".join(short))
        if clamps:
            return Protection("ulimits", "active", "clamped to the server's hard limits: " + ", ".join(clamps))
        return Protection("ulimits", "active", f"nproc {CONTAINER_NPROC}, nofile per run limits: "
                          "within the server's hard limits")

    def run_cgroup(self, spec: StepSpec) -> tuple[RunCgroup | None, str | None]:
        """The cgroup the container goes under (``--cgroup-parent``), relative to its
        mount, so CPU, peak memory and OOM kills outlive ``--rm``. Same on v1 and v2:
        podman (cgroupfs) puts conmon in ``<parent>/conmon`` and the container in
        ``<parent>/libpod-<id>``; on v2 our cgroup stays empty and delegates its
        controllers to them."""
        try:
            group = self.cgroups.create(spec.limits, memory_slack=_CONMON_SLACK, delegate=True)
        except OSError as exc:
            raise SandboxError(f"cannot create the run's cgroup: {exc}") from exc
        if group is None:
            return None, None
        try:
            return group, self.cgroups.relative_path(group)
        except ValueError as exc:
            for directory in group.unique_dirs:
                with contextlib.suppress(OSError):
                    directory.rmdir()
            raise SandboxError(f"cannot place the container: {exc}") from exc

    async def start(self, spec: StepSpec) -> StepProcess:
        if not self.podman_path:
            raise SandboxUnavailable(self.check()[1])
        name = f"observer-run-{os.getpid()}-{next(_counter)}-{secrets.token_hex(3)}"
        # The run's host directory: `src/` (the sources, mounted read-only at /src) and
        # podman's working directory, where conmon drops its own files (an `oom` marker
        # when the kernel kills the program), which never reach the server's directory.
        host_dir = workdir.make_private_dir("podman-")
        src_dir = os.path.join(host_dir, "src")
        group = None
        try:
            os.mkdir(src_dir, 0o755)
            os.chmod(src_dir, 0o755)  # whatever the umask
            workdir.write_files(src_dir, spec.files)
            group, relative = self.run_cgroup(spec)
            argv = self.build_argv(spec, name=name, src_dir=src_dir, cgroup_parent=relative)
            plan = SpawnPlan(argv=argv, limits=spec.limits, env=podman_env(), tty=spec.tty,
                             raw_tty=True, rows=spec.rows, cols=spec.cols, cwd=host_dir)
            return await PodmanStep(plan, backend=self, name=name, host_dir=host_dir, run_cgroup=group,
                              relative_cgroup=relative, memory_limit=spec.limits.memory_bytes).launch()
        except BaseException:
            if group is not None:
                await group.remove()
            workdir.remove_tree(host_dir)
            raise
