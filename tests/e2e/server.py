"""Starts the real Observer server for browser tests: a fresh SQLite file, migrations,
a teacher account, and the server (observer.server) on a free port with the real sandbox backend."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONTEND_INDEX = ROOT / "static" / "app" / "index.html"
# As scripts/run and deploy/observer@.service start it: observer.server chooses its options.
SERVER = ("-m", "observer.server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# What the built app is made from (tests are not: editing one needs no rebuild).
FRONTEND_SOURCES = ("src", "index.html", "vite.config.ts", "tsconfig.json", "package.json", "package-lock.json")


def build_is_stale(*, index: Path = FRONTEND_INDEX, frontend: Path = ROOT / "frontend") -> bool:
    """No build, or a frontend source newer than the build's index.html."""
    if not index.exists():
        return True
    built = index.stat().st_mtime
    for name in FRONTEND_SOURCES:
        path = frontend / name
        files = (p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.exists() else []
        for file in files:
            if ".test." in file.name or "/src/test/" in file.as_posix():
                continue
            if file.stat().st_mtime > built:
                return True
    return False


def ensure_frontend_built() -> None:
    """The suite tests the built app: build it when there is none, or when any frontend
    source is newer than the build (a stale build would test yesterday's screens)."""
    if not build_is_stale():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the built frontend is missing or stale and npm is not installed: run scripts/install")
    if not (ROOT / "frontend" / "node_modules").exists():
        subprocess.run([npm, "ci", "--prefix", "frontend", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    subprocess.run([npm, "run", "--prefix", "frontend", "--silent", "build"], cwd=ROOT, check=True)


@dataclass
class LiveServer:
    base_url: str
    teacher_username: str
    teacher_password: str
    workdir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def crash(self) -> None:
        """kill -9: the process gets no chance to write what it still holds in memory."""
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        """The same server again (same port, database and settings) after `crash`."""
        port = int(self.base_url.rsplit(":", 1)[1])
        self.process = _spawn(self.env, port, self.log_path)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    log = log_path.read_text(errors="replace")
    raise RuntimeError(f"the server did not answer {url} within {timeout:.0f} s:\n{log}")


def _spawn(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """The server on `port`, answering once this returns (its output appended to `log_path`)."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, *SERVER, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/login", process, log_path)
    except Exception:
        process.kill()
        raise
    return process


def start_server() -> LiveServer:
    ensure_frontend_built()
    workdir = Path(tempfile.mkdtemp(prefix="observer-e2e-"))
    password = f"e2e-{secrets.token_urlsafe(12)}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "false",
        "OBSERVER_ENV_FILE": str(workdir / "no.env"),
        "SANDBOX_BACKEND": os.environ.get("SANDBOX_BACKEND", "bubblewrap"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "seed_demo", "--password", password)
    port = free_port()
    log_path = workdir / "server.log"
    process = _spawn(env, port, log_path)
    base_url = f"http://127.0.0.1:{port}"
    return LiveServer(
        base_url=base_url,
        teacher_username="teacher",
        teacher_password=password,
        workdir=workdir,
        process=process,
        log_path=log_path,
        env=env,
    )
