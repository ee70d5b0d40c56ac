"""deploy/observer@.service: the container backends' host setup before start, and paths the
sandbox needs."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = (ROOT / "deploy" / "observer@.service").read_text()
SETUP = 'exec /bin/sh "/opt/observer/deploy/$${SANDBOX_BACKEND}/setup.sh"'


def _directives(name: str) -> list[str]:
    return [line.split("=", 1)[1] for line in UNIT.splitlines() if line.startswith(f"{name}=")]


def _run_setup_step(**env: str) -> str:
    """The ExecStartPre=+ line as systemd runs it ("$$" is a literal "$"), with the backend's
    setup script replaced by an echo of its name and arguments."""
    (command,) = [line for line in _directives("ExecStartPre") if SETUP in line]
    assert command.startswith("+")  # full privileges: root whatever User= says
    argv = shlex.split(command[1:].replace(SETUP, 'echo "setup-$${SANDBOX_BACKEND}"').replace("$$", "$"))
    return subprocess.run(argv, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, check=True).stdout


def test_it_runs_the_container_backends_host_setup_as_root_before_starting() -> None:
    assert _run_setup_step(SANDBOX_BACKEND="podman") == "setup-podman /var/lib/observer/podman-rootfs\n"
    elsewhere = _run_setup_step(SANDBOX_BACKEND="podman", SANDBOX_PODMAN_ROOTFS="/srv/rootfs")
    assert elsewhere == "setup-podman /srv/rootfs\n"
    assert _run_setup_step(SANDBOX_BACKEND="docker") == "setup-docker /var/lib/observer/podman-rootfs\n"


def test_it_skips_the_container_setup_for_other_backends() -> None:
    assert _run_setup_step() == ""
    assert _run_setup_step(SANDBOX_BACKEND="bubblewrap") == ""


def test_it_leaves_the_sandbox_work_root_and_podman_rootfs_writable() -> None:
    # "full" keeps /usr, /boot and /etc read-only but not /var ("strict" would need both listed).
    assert _directives("ProtectSystem") == ["full"]
    assert _directives("PrivateTmp") == ["true"]  # a private, writable /var/tmp per instance
    writable = _directives("ReadWritePaths")[0].split()
    assert "-/var/lib/observer" in writable or "/var/lib/observer" in writable


def test_it_runs_as_observer_and_says_when_to_run_as_root() -> None:
    assert _directives("User") == ["observer"]
    assert _directives("Delegate") == ["yes"]
    runbook = (ROOT / "deploy" / "RUNBOOK.md").read_text()
    assert "## Which user" in runbook
    assert "| cgroup v1 / hybrid | bubblewrap | root |" in runbook
    assert "| either | podman | root |" in runbook
