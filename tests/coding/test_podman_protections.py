"""What the podman backend does and says on a host where a protection cannot be
applied: it runs without it and reports it ``degraded`` with the reason, never
silently. (The host where all apply: test_podman_kernel.py.)"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from coding.sandbox import podman, podman_seccomp
from coding.sandbox.base import Limits, StepSpec
from coding.sandbox.podman import PodmanBackend, subid_range

SPEC = StepSpec(argv=("/build/main",), files=(), limits=Limits(), build_dir="/var/tmp/build-x")


def states(backend: PodmanBackend) -> dict[str, str]:
    return {p.name: p.state for p in backend.protections() if not p.name.startswith("kernel.")}


def argv(backend: PodmanBackend) -> list[str]:
    return backend.build_argv(SPEC, name="observer-test", src_dir="/tmp/src", cgroup_parent=None)


def test_it_reads_the_id_pool_of_both_files(tmp_path: Path) -> None:
    subuid, subgid = tmp_path / "subuid", tmp_path / "subgid"
    files = (str(subuid), str(subgid))
    subuid.write_text("alice:100000:65536\ncontainers:2147483647:2147483648\n")
    subgid.write_text("containers:2147483647:2147483648\n")
    assert subid_range(files=files) == (2147483647, 2147483648)
    subgid.write_text("alice:100000:65536\n")
    assert subid_range(files=files) is None  # no gid range: podman would refuse the run
    subgid.write_text("containers:5000:1000\n")
    assert subid_range(files=files) is None  # too small for uid 65534
    assert subid_range(files=(str(subuid), str(tmp_path / "missing"))) is None


def test_without_an_id_pool_it_runs_unmapped_and_says_so() -> None:
    backend = PodmanBackend()
    backend.subids = None
    line = next(p for p in backend.protections() if p.name == "host uid per run")
    assert line.state == "degraded" and "/etc/subuid" in line.detail and "setup.sh" in line.detail
    built = argv(backend)
    assert not any(arg.startswith("auto") for arg in built)
    assert "/var/tmp/build-x:/build:ro" in built  # no U: the build dir is the uid's own
    assert backend.build_dir_owner() == (65534, 65534)


def test_with_an_id_pool_it_remaps_and_hands_the_build_dir_over() -> None:
    backend = PodmanBackend()
    backend.subids = (2147483647, 2147483648)
    built = argv(backend)
    assert built[built.index("--userns") + 1] == "auto:size=65536"
    assert "/var/tmp/build-x:/build:ro,U" in built
    assert backend.build_dir_owner() is None
    assert states(backend)["host uid per run"] == "active"


def test_without_a_profile_it_says_both_seccomp_lines_are_degraded(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> tuple[Path, str]:
        raise podman_seccomp.ProfileUnavailable("no seccomp architecture known for vax")

    monkeypatch.setattr(podman_seccomp, "profile_path", unavailable)
    backend = PodmanBackend()
    assert not any(arg.startswith("seccomp=") for arg in argv(backend))
    report = {p.name: p for p in backend.protections()}
    assert report["seccomp filter"].state == "degraded" and "vax" in report["seccomp filter"].detail
    assert report["no nested user namespaces"].state == "degraded"


def test_a_profile_of_the_policy_alone_is_degraded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   settings: object) -> None:
    settings.SANDBOX_WORK_ROOT = str(tmp_path / "work")  # type: ignore[attr-defined]
    monkeypatch.setattr(podman_seccomp, "DEFAULT_PROFILE", tmp_path / "missing.json")
    backend = PodmanBackend()
    report = {p.name: p for p in backend.protections()}
    assert report["seccomp filter"].state == "degraded"
    assert "the policy alone" in report["seccomp filter"].detail
    assert report["no nested user namespaces"].state == "active"  # the policy refuses them still
    assert any(arg.startswith("seccomp=") for arg in argv(backend))


@pytest.mark.parametrize(("nproc", "nofile", "state", "said"), [
    (resource.RLIM_INFINITY, resource.RLIM_INFINITY, "active", "within the server's hard limits"),
    (1000, 200, "active", "nproc 4096 -> 1000, nofile 256 -> 200"),
    (30, 200, "degraded", "nproc 30 is below the 66 a run needs"),
])
def test_it_clamps_every_ulimit_and_says_when(monkeypatch: pytest.MonkeyPatch, nproc: int, nofile: int,
                                               state: str, said: str) -> None:
    hard = {resource.RLIMIT_NPROC: nproc, resource.RLIMIT_NOFILE: nofile, resource.RLIMIT_CPU: 3}
    monkeypatch.setattr(podman.resource, "getrlimit",
                        lambda which: (0, hard.get(which, resource.RLIM_INFINITY)))
    backend = PodmanBackend()
    line = next(p for p in backend.protections() if p.name == "ulimits")
    assert (line.state, said in line.detail) == (state, True), line
    built = argv(backend)
    ulimits = dict(built[i + 1].split("=") for i, arg in enumerate(built) if arg == "--ulimit")
    top = 4096 if nproc == resource.RLIM_INFINITY else nproc
    assert ulimits["nproc"] == f"{top}:{top}"
    assert ulimits["cpu"] == "3:3"  # 5 s of CPU, under a server hard limit of 3
