"""deploy/install.sh end to end on this machine, in a directory and with ports of its own
(--root): a fresh install (packages, user, code, .venv, the built app, database, env file,
instances, nginx, a self-signed certificate), a re-run that changes nothing, an upgrade
with a rolling restart during which every request through nginx is answered, and a
backup (deploy/backup.sh) restored into an empty database that the app then serves."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.stack import ADMIN_DATABASE_URL, REDIS_URL, ROOT, free_port, http_request, read_env_file

pytestmark = pytest.mark.e2e

DOMAIN = "localhost"
USER = os.environ.get("DEPLOY_INSTALL_USER", "observer")
ADMIN_URL = urllib.parse.urlunsplit(urllib.parse.urlsplit(ADMIN_DATABASE_URL)._replace(path="/postgres"))
DB_NAME = urllib.parse.urlsplit(ADMIN_DATABASE_URL).path.lstrip("/") + "_install"


@dataclass
class Installed:
    workdir: Path
    source: Path
    root: Path
    flags: list[str]
    ports: list[int]
    https_port: int
    http_port: int
    spare_port: int

    @property
    def env_file(self) -> Path:
        return self.root / "etc" / "observer" / "observer.env"

    @property
    def prefix(self) -> Path:
        return self.root / "opt" / "observer"

    def install(self, *extra: str) -> str:
        result = subprocess.run(
            [str(self.source / "deploy" / "install.sh"), *self.flags, *extra],
            env={**os.environ, "OBSERVER_HOST_HARDENING": "0"}, capture_output=True, text=True, timeout=1500,
        )  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-6000:]
        return output

    def pid(self, port: int) -> int:
        return int((self.root / "run" / "observer" / f"observer@{port}.pid").read_text())

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **read_env_file(self.env_file.read_text()),
                       **(env or {})}
        result = subprocess.run([str(self.prefix / ".venv" / "bin" / "python"), "manage.py", *args],
                                cwd=self.prefix, env=environment, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def stop_everything(self) -> None:
        run = self.root / "run" / "observer"
        for pidfile in run.glob("observer@*.pid"):
            try:
                os.kill(int(pidfile.read_text()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        nginx_pid = run / "nginx.pid"
        if nginx_pid.exists():
            try:
                os.kill(int(nginx_pid.read_text()), signal.SIGQUIT)
            except (ProcessLookupError, ValueError):
                pass


def _commit(repo: Path, message: str) -> str:
    git = ["git", "-C", str(repo), "-c", "user.email=ci@observer.test", "-c", "user.name=CI"]
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True, capture_output=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def _psql(sql: str) -> str:
    return subprocess.run(["psql", "-qtA", "-v", "ON_ERROR_STOP=1", ADMIN_URL, "-c", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def _consecutive_free_ports(count: int) -> list[int]:
    """install.sh numbers its instances from --first-port up."""
    for _ in range(50):
        first = free_port()
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return list(range(first, first + count))
    raise RuntimeError("no run of free ports")


def _drop_databases() -> None:
    for name in (DB_NAME, f"{DB_NAME}_restored"):
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(f'DROP ROLE IF EXISTS "{DB_NAME}"')


@pytest.fixture(scope="module")
def installed() -> Iterator[Installed]:
    if os.geteuid() != 0:
        pytest.fail("install.sh needs root (CI machines run the stage as root)")
    workdir = Path(tempfile.mkdtemp(prefix="observer-install-"))
    workdir.chmod(0o755)  # the service user walks into root/
    # The code as committed, with the deployment files of this checkout: what an operator's
    # `git clone` of this commit would hold.
    source = workdir / "source"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(source)], check=True, capture_output=True)
    shutil.copytree(ROOT / "deploy", source / "deploy", dirs_exist_ok=True)
    _commit(source, "the deployment files under test")
    _drop_databases()
    ports = _consecutive_free_ports(3)  # two instances, a third added later
    http_port, https_port = free_port(), free_port()
    flags = ["--root", str(workdir / "root"), "--source", str(source), "--domain", DOMAIN, "--instances", "2",
             "--first-port", str(ports[0]), "--http-port", str(http_port), "--https-port", str(https_port),
             "--db-admin-url", ADMIN_URL, "--db-name", DB_NAME, "--redis-url", REDIS_URL, "--user", USER]
    box = Installed(workdir=workdir, source=source, root=workdir / "root", flags=flags, ports=ports[:2],
                    spare_port=ports[2],
                    https_port=https_port, http_port=http_port)
    try:
        yield box
    finally:
        box.stop_everything()
        time.sleep(1)
        _drop_databases()
        # install.sh told root's git to trust the service user's checkout; forget it.
        subprocess.run(["git", "config", "--global", "--fixed-value", "--unset-all", "safe.directory",
                        str(box.prefix)], capture_output=True, check=False)
        if os.environ.get("DEPLOY_KEEP_DIR") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


def _login(port: int, password: str) -> str:
    status, _, body = http_request(port, "/api/auth/login", method="POST",
                                   body=json.dumps({"username": "teacher", "password": password}).encode(),
                                   headers={"Content-Type": "application/json"})
    assert status == 200, body[:300]
    return str(json.loads(body)["access"])


def _session_titles(port: int, token: str, *, https: bool = True) -> list[str]:
    status, _, body = http_request(port, "/api/sessions/?page=1", https=https,
                                   headers={"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"})
    assert status == 200, body[:300]
    data = json.loads(body)
    return [row["title"] for row in (data["results"] if isinstance(data, dict) else data)]


@pytest.mark.timeout(1800)
def test_install_upgrade_backup_restore(installed: Installed) -> None:
    # A fresh machine's corner: one command to HTTPS.
    output = installed.install()
    assert "systemd is not PID 1" in output  # said, and the units' command started instead
    assert "SELF-SIGNED CERTIFICATE" in output
    assert "createsuperuser" in output
    for port in installed.ports:
        assert f"observer@{port} answers /health" in output
    assert http_request(installed.https_port, "/health")[:1] == (200,)
    status, headers, _ = http_request(installed.http_port, "/login", https=False)
    assert status == 301 and headers["Location"] == f"https://{DOMAIN}/login"
    env = read_env_file(installed.env_file.read_text())
    assert env["DJANGO_ENV"] == "production" and len(env["SECRET_KEY"]) >= 50
    assert env["DATABASE_URL"].endswith(f"/{DB_NAME}") and "password" not in env["DATABASE_URL"]
    assert oct(installed.env_file.stat().st_mode & 0o777) == "0o640"
    # The instances run as the service user, never as root.
    owners = {Path(f"/proc/{installed.pid(port)}").stat().st_uid for port in installed.ports}
    assert owners == {int(subprocess.run(["id", "-u", USER], capture_output=True, text=True).stdout)}

    # Some class data, through nginx.
    password = f"install-{secrets.token_urlsafe(9)}"
    installed.manage("seed_demo", "--password", password)
    token = _login(installed.https_port, password)
    status, _, body = http_request(installed.https_port, "/api/sessions/", method="POST",
                                   body=json.dumps({"title": "Kept by the backup", "language": "python"}).encode(),
                                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert status == 201, body[:300]

    # Re-run: idempotent (the secret stays, no instance restarts).
    pids = [installed.pid(port) for port in installed.ports]
    installed.install()
    assert read_env_file(installed.env_file.read_text())["SECRET_KEY"] == env["SECRET_KEY"]
    assert [installed.pid(port) for port in installed.ports] == pids

    # Upgrade to a new commit: a rolling restart, every request through nginx answered.
    (installed.source / "UPGRADE-MARKER").write_text("a new release\n")
    new_commit = _commit(installed.source, "a new release")
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def probe() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                status, _, body = http_request(installed.https_port, "/health", timeout=10)
                if status == 200:
                    answered += 1
                else:
                    failures.append(f"{status} {body[:80]!r}")
            except OSError as exc:
                failures.append(repr(exc))
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        output = installed.install("--upgrade", "--ref", new_commit)
    finally:
        stop.set()
        prober.join()
    assert f"-> {new_commit[:12]}" in output
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    restarted = [line for line in plain.splitlines() if "Restarting observer@" in line or "answers /health" in line]
    first, second = installed.ports
    assert restarted == [f"==> Restarting observer@{first}", f"==> observer@{first} answers /health",
                         f"==> Restarting observer@{second}", f"==> observer@{second} answers /health"], restarted
    assert all(installed.pid(port) not in pids for port in installed.ports)
    assert (installed.prefix / "UPGRADE-MARKER").exists()
    assert answered > 0 and not failures, failures[:10]
    assert _session_titles(installed.https_port, token) == ["Kept by the backup"]

    # An instance more, then one less again: the upstream follows, the extra one stops.
    third = installed.spare_port
    output = installed.install("--instances", "3")
    assert f"observer@{third} answers /health" in output
    site = (installed.root / "etc" / "nginx" / "sites-available" / "observer").read_text()
    # both upstreams (observer_app, observer_documents) list the three
    assert [f"127.0.0.1:{port}" for port in [*installed.ports, third]] * 2 == re.findall(
        r"^\s+server (127\.0\.0\.1:\d+) max_fails=0;$", site, re.M)
    third_pid = installed.pid(third)
    output = installed.install()
    assert f"Stopping observer@{third} (beyond --instances)" in output
    assert not (installed.root / "run" / "observer" / f"observer@{third}.pid").exists()
    assert not Path(f"/proc/{third_pid}").exists()
    assert _session_titles(installed.https_port, token) == ["Kept by the backup"]

    # Backups, rotated.
    backups = installed.workdir / "backups"
    backup = [str(installed.prefix / "deploy" / "backup.sh"), "--env-file", str(installed.env_file),
              "--dir", str(backups), "--keep", "2"]
    for _ in range(3):
        subprocess.run(backup, check=True, capture_output=True, timeout=300)
    dumps = sorted(backups.glob("observer-*.dump"))
    assert len(dumps) == 2 and len(list(backups.glob("observer-*.env"))) == 2
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in backups.iterdir())

    # Restore into an empty database; the app started on it shows the class.
    _psql(f'CREATE DATABASE "{DB_NAME}_restored" OWNER "{DB_NAME}"')
    restored_url = env["DATABASE_URL"].rsplit("/", 1)[0] + f"/{DB_NAME}_restored"
    restore = [str(installed.prefix / "deploy" / "backup.sh"), "--restore", str(dumps[-1]),
               "--database-url", restored_url]
    subprocess.run(restore, check=True, capture_output=True, timeout=300)
    refused = subprocess.run(restore, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "restore into an empty one" in refused.stderr
    installed.manage("migrate", "--no-input", env={"DATABASE_URL": restored_url})
    port = free_port()
    unit = (installed.root / "etc" / "observer" / "units" / "observer@.service").read_text()
    command = re.search(r"^ExecStart=(.*)$", unit, re.M)
    assert command is not None
    metrics = installed.workdir / "restored-metrics"
    metrics.mkdir()
    environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **read_env_file(installed.env_file.read_text()),
                   "DATABASE_URL": restored_url, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    server = subprocess.Popen(command.group(1).replace("%i", str(port)).split(), cwd=installed.prefix,
                              env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if http_request(port, "/health", https=False, timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        status, _, body = http_request(port, "/api/auth/login", https=False, method="POST",
                                       body=json.dumps({"username": "teacher", "password": password}).encode(),
                                       headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https"})
        assert status == 200, body[:300]
        restored_token = str(json.loads(body)["access"])
        assert _session_titles(port, restored_token, https=False) == ["Kept by the backup"]
    finally:
        server.terminate()
        server.wait(timeout=30)
