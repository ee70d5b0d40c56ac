"""The docker backend (SANDBOX_BACKEND=docker): the podman backend's container design
through the Docker CLI, for hosts that already run Docker.

Each step is a ``docker run --rm`` of a throwaway container from the same skeleton image
(deploy/podman/setup.sh's root filesystem, ``docker import``-ed as SKELETON_IMAGE; see
deploy/docker/setup.sh), with the host's /usr bind-mounted read-only: never privileged,
``--network none``, ``--read-only``, uid SANDBOX_UID, ``--cap-drop all``,
no-new-privileges, the seccomp profile the podman backend derives, memory/pids/CPU limits
and ulimits clamped to the server's own hard limits, size-capped tmpfs /work, /tmp and
/dev/shm, an empty read-only tmpfs over /sys and a cgroup namespace of its own; the
container lives under a cgroup of ours (``--cgroup-parent``, dockerd's cgroupfs driver)
so its CPU time, peak memory and OOM kills are read after ``--rm`` removed it.

What Docker does not offer, said by :meth:`protections`: no per-container id range
(``--userns=auto`` is podman's; Docker's userns-remap is one range for the whole daemon),
and /proc is masked with Docker's own list rather than bubblewrap's. The init process is
the host's ``docker-init`` run as the container's command (``--init`` would mount it over
the read-only /usr).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from coding.sandbox import workdir
from coding.sandbox.base import SandboxUnavailable, StepProcess, StepSpec
from coding.sandbox.config import setting
from coding.sandbox.podman import SKELETON_IMAGE, PodmanBackend, PodmanStep
from coding.sandbox.policy import Protection
from coding.sandbox.spawn import SpawnPlan

DOCKER_INIT = "/usr/bin/docker-init"
# Flags of the podman backend that the Docker CLI does not have (their protection is
# given another way below, or reported as not applied).
_PODMAN_ONLY = ("--read-only-tmpfs=false", "--no-hosts", "--unsetenv-all", "--init")
_counter = itertools.count(1)


def docker_setting(name: str, default: str) -> str:
    """SANDBOX_DOCKER / SANDBOX_DOCKER_IMAGE from Django's settings or OBSERVER_<name>."""
    try:
        from django.conf import settings

        if settings.configured:
            return str(getattr(settings, name, "") or default)
    except ImportError:  # pragma: no cover - Django is a dependency
        pass
    return os.environ.get(f"OBSERVER_{name}") or default


def docker_env() -> dict[str, str]:
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root" if os.geteuid() == 0 else os.environ.get("HOME", "/tmp"),
    }
    if os.environ.get("DOCKER_HOST"):
        env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    return env


class DockerStep(PodmanStep):
    def container_pids(self) -> set[int]:
        # No conmon: every process under the run cgroup is the container's.
        return self.run_cgroup.pids() if self.run_cgroup is not None else set()

    async def _force_remove(self) -> None:
        await self.backend.podman("rm", "--force", self.name)


class DockerBackend(PodmanBackend):
    name = "docker"

    def __init__(self) -> None:
        super().__init__()
        # PodmanBackend runs `self.podman_path`: here, the docker CLI.
        self.podman_path = shutil.which(docker_setting("SANDBOX_DOCKER", "docker")) or ""
        self.image = docker_setting("SANDBOX_DOCKER_IMAGE", SKELETON_IMAGE)
        self.subids = None  # no per-container id range in Docker

    async def podman(self, *args: str) -> tuple[int, bytes]:
        process = await asyncio.create_subprocess_exec(
            self.podman_path, *args, env=docker_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        return process.returncode or 0, output

    def check(self) -> tuple[bool, str]:
        if not self.podman_path:
            return False, "docker is not installed: apt-get install docker.io"
        if not os.path.exists(DOCKER_INIT):
            return False, f"{DOCKER_INIT} is missing (Debian's docker.io package provides it)"
        exists = subprocess.run([self.podman_path, "image", "inspect", self.image], capture_output=True,
                                env=docker_env(), timeout=60, check=False)
        if exists.returncode != 0:
            detail = exists.stderr.decode(errors="replace").strip()[-300:]
            return False, (
                f"no docker image {self.image} ({detail}): run `sh deploy/docker/setup.sh` as root (it "
                f"imports the skeleton rootfs {self.rootfs}), or set SANDBOX_DOCKER_IMAGE"
            )
        probe = subprocess.run(
            [self.podman_path, "run", *self._container_args("observer-probe-" + secrets.token_hex(4)),
             "--volume", "/usr:/usr:ro", self.image, DOCKER_INIT, "--", "/usr/bin/true"],
            capture_output=True, env=docker_env(), timeout=60, check=False,
        )
        if probe.returncode != 0:
            detail = (probe.stdout + probe.stderr).decode(errors="replace").strip()[-500:]
            return False, f"docker cannot start a sandbox container: {detail}"
        self._remove_stale_containers()
        return True, f"docker ready; {self.cgroups.message}"

    def _remove_stale_containers(self) -> None:
        listing = subprocess.run(
            [self.podman_path, "ps", "-a", "--filter", "name=observer-run-", "--format", "{{.Names}}"],
            capture_output=True, env=docker_env(), timeout=60, check=False,
        )
        stale = [
            name for name in listing.stdout.decode().split()
            if name.startswith("observer-run-") and name.split("-")[2].isdigit()
            and not Path(f"/proc/{name.split('-')[2]}").exists()
        ]
        if stale:
            subprocess.run([self.podman_path, "rm", "--force", *stale], capture_output=True, env=docker_env(),
                           timeout=120, check=False)

    def _container_args(self, name: str, *, open_files: int = 256) -> list[str]:
        args = [arg for arg in super()._container_args(name, open_files=open_files) if arg not in _PODMAN_ONLY]
        # podman's "--security-opt mask=/sys:...": an empty read-only tmpfs over /sys here
        # (Docker masks its own list of /proc files).
        index = next(i for i, arg in enumerate(args) if arg.startswith("mask="))
        args[index - 1 : index + 1] = ["--tmpfs", "/sys:ro,size=4k,mode=555"]
        return args

    def build_argv(self, spec: StepSpec, *, name: str, src_dir: str, cgroup_parent: str | None) -> list[str]:
        argv = super().build_argv(spec, name=name, src_dir=src_dir, cgroup_parent=cgroup_parent)
        argv = [arg.replace(",notmpcopyup", "") for arg in argv]
        image = len(argv) - 1 - argv[::-1].index(self.image)
        # Docker writes the host's /etc/hosts, resolv.conf and hostname into every container
        # unless something is mounted there (podman's --no-hosts and --network none do not):
        # an empty file of the run's own instead.
        empty = os.path.join(os.path.dirname(src_dir), "empty")
        hidden = [arg for path in ("/etc/hosts", "/etc/resolv.conf", "/etc/hostname")
                  for arg in ("--volume", f"{empty}:{path}:ro")]
        # The image, then docker-init (reaps orphans, forwards signals), then the entry line.
        return [*argv[:image], *hidden, argv[image], DOCKER_INIT, "--", *argv[image + 1 :]]

    def protections(self) -> list[Protection]:
        found = [p for p in super().protections() if p.name not in {"host uid per run", "masked /proc files"}]
        found.insert(2, Protection("host uid per run", "degraded", "Docker has no per-container id range: "
                                   f"every container runs as host uid {setting('SANDBOX_UID')}, one keyring "
                                   "and RLIMIT_NPROC count for all (the podman backend gives each its own)"))
        found.insert(5, Protection("masked /proc files", "active", "Docker's masked paths (kcore, keys, "
                                   "timer_list, sched_debug, ...); /sys is an empty read-only tmpfs"))
        return found

    async def start(self, spec: StepSpec) -> StepProcess:
        if not self.podman_path:
            raise SandboxUnavailable(self.check()[1])
        name = f"observer-run-{os.getpid()}-{next(_counter)}-{secrets.token_hex(3)}"
        host_dir = workdir.make_private_dir("docker-")
        src_dir = os.path.join(host_dir, "src")
        group = None
        try:
            os.mkdir(src_dir, 0o755)
            os.chmod(src_dir, 0o755)
            workdir.write_files(src_dir, spec.files)
            empty = os.open(os.path.join(host_dir, "empty"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.close(empty)
            os.chmod(os.path.join(host_dir, "empty"), 0o644)
            group, relative = self.run_cgroup(spec)
            argv = self.build_argv(spec, name=name, src_dir=src_dir, cgroup_parent=relative)
            plan = SpawnPlan(argv=argv, limits=spec.limits, env=docker_env(), tty=spec.tty,
                             raw_tty=True, rows=spec.rows, cols=spec.cols, cwd=host_dir)
            return await DockerStep(plan, backend=self, name=name, host_dir=host_dir, run_cgroup=group,
                                    relative_cgroup=relative, memory_limit=spec.limits.memory_bytes).launch()
        except BaseException:
            if group is not None:
                await group.remove()
            workdir.remove_tree(host_dir)
            raise
