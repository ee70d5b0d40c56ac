"""The shipped deployment, run for real: Debian's nginx with deploy/nginx-observer.conf
(templated only in its server name, certificate paths, listen and upstream ports and the
install directory) and a self-signed certificate, in front of server processes (observer.server) started
with the command of deploy/observer@.service, on PostgreSQL + Redis with an env file made
from deploy/observer.env.example (production settings).

Ports, the database and the Redis database are the stage's own (DEPLOY_DATABASE_URL,
DEPLOY_REDIS_URL), so the stage can run beside the other suites.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx-observer.conf"
UNIT = DEPLOY / "observer@.service"
ENV_EXAMPLE = DEPLOY / "observer.env.example"
SERVER_NAME = "localhost"
# The database server the stage creates its database on, and its Redis database.
ADMIN_DATABASE_URL = os.environ.get("DEPLOY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/observer_deploy")
REDIS_URL = os.environ.get("DEPLOY_REDIS_URL", "redis://127.0.0.1:6379/13")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- The shipped files, read as an operator's machine reads them ----------------------


def unit_service_lines(text: str) -> list[tuple[str, str]]:
    """The [Service] section's directives, in order (a directive may repeat)."""
    out: list[tuple[str, str]] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]" and "=" in line:
            key, value = line.split("=", 1)
            out.append((key.strip(), value.strip()))
    return out


def unit_exec_start(text: str, *, port: int, root: Path) -> list[str]:
    """ExecStart of observer@.service for instance `port`, the install directory being `root`."""
    commands = [value for key, value in unit_service_lines(text) if key == "ExecStart"]
    assert len(commands) == 1, commands
    command = commands[0].replace("%i", str(port)).replace("/opt/observer", str(root))
    return shlex.split(command)


def unit_environment(text: str) -> dict[str, str]:
    """The unit's own Environment= assignments."""
    env: dict[str, str] = {}
    for key, value in unit_service_lines(text):
        if key == "Environment":
            for item in shlex.split(value):
                name, _, val = item.partition("=")
                env[name] = val
    return env


def read_env_file(text: str) -> dict[str, str]:
    """An EnvironmentFile as systemd reads it: KEY=VALUE lines, one pair of quotes stripped."""
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def render_env(example: str, values: dict[str, str]) -> str:
    """The env example with `values` filled in (keys it lacks are appended)."""
    lines = example.splitlines()
    seen = set()
    for index, line in enumerate(lines):
        key = line.split("=", 1)[0].strip()
        if not line.startswith("#") and "=" in line and key in values:
            lines[index] = f"{key}={values[key]}"
            seen.add(key)
    lines += [f"{key}={value}" for key, value in values.items() if key not in seen]
    return "\n".join(lines) + "\n"


def render_site(text: str, *, server_name: str, cert: Path, key: Path, http_port: int, https_port: int,
                upstream_ports: list[int], root: Path, log_dir: Path) -> str:
    """deploy/nginx-observer.conf for this machine. Each placeholder must be in the shipped
    file exactly as written here: a change to the site that the deployment does not know
    about fails the test instead of being silently left out."""
    upstreams = "".join(f"    server 127.0.0.1:{port} max_fails=0;\n" for port in upstream_ports)
    replacements = [
        ("server_name class.example.org;", f"server_name {server_name};"),
        ("/etc/letsencrypt/live/class.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/class.example.org/privkey.pem", str(key)),
        ("listen 80;", f"listen {http_port};"),
        ("listen 443 ssl http2;", f"listen {https_port} ssl http2;"),
        ("    server 127.0.0.1:8000 max_fails=0;\n", upstreams),
        ("/opt/observer/", f"{root}/"),
        ("/var/log/nginx/", f"{log_dir}/"),
    ]
    for old, new in replacements:
        if old not in text:
            raise AssertionError(f"deploy/nginx-observer.conf no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def main_nginx_conf(*, prefix: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives a site (http context, mime types, a worker
    user), with the pid, logs and temporary files in the stage's directory."""
    temp = "\n".join(f"    {kind}_temp_path {prefix}/tmp/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                                 "uwsgi", "scgi"))
    return f"""user www-data;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 768; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
{temp}
    include {site};
}}
"""


def self_signed_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


# --- Running it -------------------------------------------------------------------------


def _psql(admin_url: str, sql: str) -> None:
    parts = urllib.parse.urlsplit(admin_url)
    maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", maintenance, "-c", sql], check=True, capture_output=True)


def recreate_database(url: str) -> None:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), name
    _psql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(url, f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    _psql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def http_request(port: int, path: str, *, method: str = "GET", https: bool = True, body: bytes | None = None,
                 headers: dict[str, str] | None = None, source: str = "127.0.0.1",
                 host: str = SERVER_NAME, timeout: float = 30) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request to 127.0.0.1:`port` from the address `source` (127.0.0.2 is a client
    outside nginx's allow-lists), with the Host header `host`."""
    conn: http.client.HTTPConnection
    if https:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context,
                                           source_address=(source, 0))
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@dataclass
class Instance:
    port: int
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        # In the stage's process group: when scripts/test stops the stage, these go too.
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.port} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _, _ = http_request(self.port, "/health", https=False, timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server {self.port} never answered /health:\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, as systemctl stop sends it (then SIGKILL after TimeoutStopSec)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@dataclass
class Stack:
    workdir: Path
    http_port: int
    https_port: int
    database_url: str
    env: dict[str, str]
    instances: list[Instance]
    nginx_conf: Path
    site_text: str
    teacher_password: str
    nginx: subprocess.Popen[bytes] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"https://{SERVER_NAME}:{self.https_port}"

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env or self.env,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def nginx_test(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run([NGINX, "-t", "-c", str(self.nginx_conf), "-p", str(self.workdir)],
                              capture_output=True, text=True)

    def start_nginx(self) -> None:
        checked = self.nginx_test()
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        self.nginx = subprocess.Popen([NGINX, "-c", str(self.nginx_conf), "-p", str(self.workdir),
                                       "-g", "daemon off;"], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.https_port), timeout=1):
                    return
            except OSError as exc:
                if self.nginx.poll() is not None:
                    error = self.nginx.stderr.read() if self.nginx.stderr else b""
                    raise RuntimeError(f"nginx exited: {error!r}") from exc
                time.sleep(0.1)
        raise RuntimeError("nginx never listened")

    def route_only_to(self, *ports: int) -> None:
        """Sends new connections only to the instances on `ports` (the others marked
        `down`) by reloading nginx, as an operator drains an instance: connections open
        now stay where they are (nginx's old workers keep them). With no ports, the site
        as shipped. The test uses it to place a teacher and a student on different processes."""
        site = self.site_text
        for instance in self.instances:
            if ports and instance.port not in ports:
                line = f"    server 127.0.0.1:{instance.port} max_fails=0;\n"
                assert line in site
                site = site.replace(line, f"    server 127.0.0.1:{instance.port} down;\n")
        (self.workdir / "site.conf").write_text(site)
        subprocess.run([NGINX, "-c", str(self.nginx_conf), "-p", str(self.workdir), "-s", "reload"], check=True,
                       capture_output=True)
        wanted = {f"127.0.0.1:{port}" for port in (ports or [i.port for i in self.instances])}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ids = [http_request(self.https_port, "/health")[1]["X-Request-ID"] for _ in range(4)]
            seen = {self.upstream_of(request_id) for request_id in ids}
            if seen <= wanted:
                return
            time.sleep(0.2)
        raise RuntimeError(f"nginx still routes outside {wanted}")

    def upstream_of(self, request_id: str) -> str:
        """Which upstream answered the request nginx logged with this id."""
        for line in reversed(self.access_log().splitlines()):
            if request_id in line:
                return str(json.loads(line)["upstream"])
        return ""

    def psql(self, sql: str) -> str:
        result = subprocess.run(["psql", "-tA", "-v", "ON_ERROR_STOP=1", self.database_url, "-c", sql],
                                check=True, capture_output=True, text=True)
        return result.stdout.strip()

    def access_log(self) -> str:
        return (self.workdir / "logs" / "observer.access.log").read_text(errors="replace")

    def stop(self) -> None:
        for instance in self.instances:
            instance.stop()
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(timeout=5)


def production_env(*, workdir: Path, database_url: str, https_port: int) -> dict[str, str]:
    """The env example with this machine's values, as systemd would pass it to the unit."""
    origin = f"https://{SERVER_NAME}:{https_port}"
    values = {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": SERVER_NAME,
        # nginx passes $host (no port): on 443 the origin is the host's; here it has a port.
        "CSRF_TRUSTED_ORIGINS": origin,
        "CORS_ALLOWED_ORIGINS": origin,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "TEACHER_INVITE_CODE": "",
    }
    env_file = workdir / "observer.env"
    env_file.write_text(render_env(ENV_EXAMPLE.read_text(), values))
    env_file.chmod(0o600)
    return read_env_file(env_file.read_text())


def build_stack(*, instances: int = 2) -> Stack:
    from tests.e2e.server import ensure_frontend_built

    ensure_frontend_built()
    workdir = Path(tempfile.mkdtemp(prefix="observer-deploy-"))
    workdir.chmod(0o755)  # nginx's workers (www-data) read the site's files from here
    for sub in ("logs", "tmp", "metrics", "certs"):
        (workdir / sub).mkdir()
    http_port, https_port = free_port(), free_port()
    ports = [free_port() for _ in range(instances)]
    database_url = ADMIN_DATABASE_URL
    recreate_database(database_url)
    unit = UNIT.read_text()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        **production_env(workdir=workdir, database_url=database_url, https_port=https_port),
        **unit_environment(unit),
    }
    env["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "metrics")  # the unit's RuntimeDirectory
    env["PYTHONUNBUFFERED"] = "1"
    password = f"deploy-{secrets.token_urlsafe(12)}"
    stack = Stack(workdir=workdir, http_port=http_port, https_port=https_port, database_url=database_url, env=env,
                  instances=[], nginx_conf=workdir / "nginx.conf", site_text="", teacher_password=password)
    stack.manage("migrate", "--no-input", "-v", "0")
    stack.manage("collectstatic", "--no-input", "-v", "0")
    stack.manage("seed_demo", "--password", password)
    for port in ports:
        instance_env = {**env, "SANDBOX_WORK_ROOT": str(workdir / f"sandbox-{port}")}  # PrivateTmp= per instance
        stack.instances.append(Instance(port=port, command=unit_exec_start(unit, port=port, root=ROOT),
                                        env=instance_env, log_path=workdir / "logs" / f"server-{port}.log"))
    cert, key = self_signed_certificate(workdir / "certs", SERVER_NAME)
    stack.site_text = render_site(SITE.read_text(), server_name=SERVER_NAME, cert=cert, key=key,
                                  http_port=http_port, https_port=https_port, upstream_ports=ports, root=ROOT,
                                  log_dir=workdir / "logs")
    (workdir / "site.conf").write_text(stack.site_text)
    stack.nginx_conf.write_text(main_nginx_conf(prefix=workdir, site=workdir / "site.conf"))
    return stack


def running_stack(*, start: int | None = None) -> Iterator[Stack]:
    """A built stack with nginx and the first `start` instances (default all) running."""
    stack = build_stack()
    try:
        for instance in stack.instances[: start if start is not None else len(stack.instances)]:
            instance.start()
        for instance in stack.instances:
            if instance.process is not None:
                instance.wait_healthy()
        stack.start_nginx()
        yield stack
    finally:
        stack.stop()
        drop_database(stack.database_url)
        if os.environ.get("DEPLOY_KEEP_DIR") != "1":
            shutil.rmtree(stack.workdir, ignore_errors=True)
