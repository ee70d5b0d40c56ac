"""The shipped systemd units pass `systemd-analyze verify` (Debian's systemd package
provides it without systemd running), and the env example's production settings pass
`manage.py check --deploy` with no warning."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.stack import DEPLOY, ENV_EXAMPLE, ROOT, read_env_file, render_env

pytestmark = pytest.mark.e2e

UNITS = ("observer@.service", "observer-cleanup.service", "observer-cleanup.timer", "observer-webhooks.service",
         "observer-webhooks.timer")


def _verify(directory: Path, *names: str) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd (scripts/test-deploy does)")
    return subprocess.run([analyze, "verify", *(str(directory / name) for name in names)],
                          capture_output=True, text=True, timeout=120)


def _installed_units(directory: Path) -> list[str]:
    """The units as deploy/install.sh installs them (the code's directory in place of
    /opt/observer: verify checks that ExecStart's programs exist), the template with an
    instance name, as systemctl starts it."""
    names = []
    for name in UNITS:
        text = (DEPLOY / name).read_text().replace("/opt/observer", str(ROOT))
        target = name.replace("@.service", "@8000.service")
        (directory / target).write_text(text)
        names.append(target)
    return names


def test_the_units_verify(tmp_path: Path) -> None:
    result = _verify(tmp_path, *_installed_units(tmp_path))
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_verify_does_catch_a_broken_unit(tmp_path: Path) -> None:
    """So that the test above means something: a unit with a bad directive fails it."""
    names = _installed_units(tmp_path)
    unit = tmp_path / names[0]
    unit.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = _verify(tmp_path, names[0])
    assert "restart specifier" in result.stderr, result


def test_the_env_example_passes_the_deployment_checks(tmp_path: Path) -> None:
    env_file = tmp_path / "observer.env"
    env_file.write_text(render_env(ENV_EXAMPLE.read_text(), {"SECRET_KEY": secrets.token_urlsafe(64)}))
    env = {"PATH": "/usr/bin:/bin", "OBSERVER_ENV_FILE": str(tmp_path / "none"), **read_env_file(env_file.read_text())}
    assert env["DJANGO_ENV"] == "production"
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
