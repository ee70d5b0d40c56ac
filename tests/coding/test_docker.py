"""The docker backend (SANDBOX_BACKEND=docker) on this machine: podman's suites of
languages, hostile programs, kernel probes and interactive runs, run against Docker, plus
what Docker does differently (docker-init, no per-container id range, the container and
its cgroups gone after each run).

Needs dockerd and the skeleton image (``sh deploy/docker/setup.sh`` as root);
scripts/test-deploy starts both, so these are marked e2e and run in that stage only.
"""

from __future__ import annotations

import ast
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from coding import runner
from coding.sandbox import get_backend
from coding.sandbox.base import Limits, Status, StepSpec
from coding.sandbox.docker import DOCKER_INIT, DockerBackend, docker_env
from tests.coding.conftest import FAST_COMPILE
from tests.coding.sandbox_support import (
    FORK_BOMB,
    Canary,
    RunTracker,
    assert_unharmed,
    forked,
    processes_mentioning,
    quick_limits,
)

# The podman suites, unchanged: their `podman` fixture is Docker's in this module.
from tests.coding.test_podman import (  # noqa: F401
    test_it_contains_a_memory_bomb,
    test_it_cuts_a_flood_and_has_no_network_or_host_files,
    test_it_feeds_stdin_and_reports_errors,
    test_it_gives_the_program_none_of_the_servers_environment,
    test_it_runs_concurrent_containers_under_distinct_names,
    test_it_runs_hello_world,
    test_it_stops_a_cpu_burner_in_many_processes_by_total_cpu,
)
from tests.coding.test_podman_interactive import (  # noqa: F401
    test_it_reads_a_line_interactively_in_every_language,
    test_it_runs_an_interactive_dialogue,
    test_it_stops_a_run_and_removes_its_container,
)
from tests.coding.test_podman_kernel import (  # noqa: F401
    NAMESPACES,
    test_it_answers_the_shared_c_probes_as_bubblewrap_does,
    test_it_answers_the_shared_python_probes_as_bubblewrap_does,
    test_it_refuses_a_nested_user_namespace,
    test_it_refuses_every_policy_call_from_c,
    test_it_refuses_every_policy_call_from_python,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_it_contains_a_fork_bomb_and_a_daemon(podman: RunTracker, canary: Canary) -> None:
    """podman's test, with Docker's count: no conmon in the run's cgroup, so the program
    may fork once more (docker-init, the program and the daemon count)."""
    token = f"observer-daemon-{secrets.token_hex(4)}"
    source = (
        "import os\n"
        "if os.fork() == 0:\n    os.setsid()\n"
        f"    os.execv('/usr/bin/sleep', [{token!r}, '300'])\n"
    ) + FORK_BOMB
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits(wall_seconds=3.0, max_processes=32))
    assert result.status == Status.TIMEOUT, result
    assert 32 - 10 <= forked(result) <= 32 - 3, result.stdout
    await assert_unharmed(podman, canary, token=token)
    assert processes_mentioning(token) == []


def docker_containers() -> list[str]:
    listing = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], env=docker_env(),
                             capture_output=True, check=True)
    return listing.stdout.decode().split()


@pytest.fixture
def podman(settings: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunTracker]:
    """Runs go to the real docker backend; no container of ours may be left when the
    test ends, nor anything written into the server's working directory."""
    settings.SANDBOX_BACKEND = "docker"  # type: ignore[attr-defined]
    settings.SANDBOX_COMPILE_LIMITS = FAST_COMPILE  # type: ignore[attr-defined]
    backend = get_backend("docker")
    assert isinstance(backend, DockerBackend)
    tracker = RunTracker()
    tracker.install(backend, monkeypatch)
    server_dir = tmp_path / "server-cwd"
    server_dir.mkdir()
    monkeypatch.chdir(server_dir)
    yield tracker
    left = [name for name in docker_containers() if name.startswith(f"observer-run-{os.getpid()}-")]
    assert left == [], "container left"
    assert os.listdir(server_dir) == [], "a docker run wrote into the server's directory"


async def test_it_runs_each_container_in_namespaces_of_its_own_without_sys(podman: RunTracker) -> None:
    """As podman's, but Docker maps ids one to one (no --userns=auto): uid 65534 inside
    is 65534 on the host, which the protections report says."""
    result = await runner.run_batch(language="python", files=[("main.py", NAMESPACES)], limits=quick_limits())
    uid_map, cgroup_ns, cgroups, notes, sys_entries = result.stdout.decode().splitlines()
    assert ast.literal_eval(uid_map) == ["0", "0", "4294967295"]
    assert cgroup_ns != os.readlink("/proc/self/ns/cgroup")
    assert all(line.endswith(":/") for line in ast.literal_eval(cgroups)), cgroups
    assert (notes, sys_entries) == ("FileNotFoundError", "[]")
    podman.assert_nothing_left()


async def test_it_runs_as_the_sandbox_user_with_no_capabilities_under_docker_init(podman: RunTracker) -> None:
    source = ("import os\nprint(os.getuid(), os.getgid())\n"
              "status = dict(l.split(':\\t') for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
              "print(status['CapEff'], status['CapBnd'], status['NoNewPrivs'])\n"
              "print(open('/proc/1/cmdline').read().split('\\0')[0])\n"
              "try:\n    open('/usr/bin/x', 'w')\nexcept OSError as e:\n    print(type(e).__name__)\n")
    result = await runner.run_batch(language="python", files=[("main.py", source)], limits=quick_limits())
    assert result.status == Status.OK, result
    lines = result.stdout.decode().splitlines()
    assert lines[:3] == ["65534 65534", "0000000000000000 0000000000000000 1", DOCKER_INIT]
    assert lines[3] in {"PermissionError", "OSError"}  # read-only /usr (EROFS is an OSError)
    podman.assert_nothing_left()


def test_it_reports_what_docker_cannot_apply(settings: object) -> None:
    settings.SANDBOX_BACKEND = "docker"  # type: ignore[attr-defined]
    backend = get_backend("docker")
    assert isinstance(backend, DockerBackend)
    report = {p.name: p.state for p in backend.protections() if not p.name.startswith("kernel.")}
    assert report == {
        "seccomp filter": "active", "no nested user namespaces": "active", "host uid per run": "degraded",
        "cgroup namespace": "active", "masked /sys": "active", "masked /proc files": "active",
        "ulimits": "active", "cgroup limits": "active",
    }, backend.protections()


def test_the_argv_keeps_every_restriction(settings: object) -> None:
    settings.SANDBOX_BACKEND = "docker"  # type: ignore[attr-defined]
    backend = get_backend("docker")
    assert isinstance(backend, DockerBackend)
    spec = runner_spec()
    argv = backend.build_argv(spec, name="observer-run-1-1-abc", src_dir="/tmp/src", cgroup_parent="/x/run")
    joined = " ".join(argv)
    for wanted in ("--rm", "--network none", "--read-only", "--cap-drop all", "--security-opt no-new-privileges",
                   "--user 65534:65534", "--memory ", "--memory-swap ", "--pids-limit ", "--cpus ",
                   "--cgroupns private", "--tmpfs /sys:ro", "--cgroup-parent /x/run", "--ulimit nproc=",
                   "--ulimit nofile=", "--volume /usr:/usr:ro", f"{backend.image} {DOCKER_INIT} -- /bin/sh -c"):
        assert wanted in joined, wanted
    assert "--privileged" not in argv and "notmpcopyup" not in joined
    assert not any(arg.startswith(("--userns", "mask=", "--unsetenv", "--no-hosts")) for arg in argv)


def runner_spec() -> StepSpec:
    return StepSpec(argv=("python3", "main.py"), files=(), limits=Limits())
