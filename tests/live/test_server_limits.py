"""Limits and malformed input through a real server, started as scripts/run starts it
(observer.server): what the server answers before the application sees a byte (header
sizes, the subprotocol header, message sizes) and the issue's reproductions end to end."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from observer.server import HEADERS_MAX_BYTES
from sessions.live import protocol, ydoc
from tests.e2e.server import SERVER

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
FIXTURE = """
import json
from accounts.models import Role, User
from accounts.services import token_pair_for
from accounts.tokens import GuestToken
from sessions.models import ClassSession, Document, Participant
teacher = User.objects.create(username="t", role=Role.TEACHER)
session = ClassSession.objects.create(teacher=teacher, title="s", language="python", state="live", join_code="LIMIT1")
participant = Participant.objects.create(session=session, display_name="g", is_guest=True)
document = Document.objects.create(participant=participant, name="main.py", content="print(1)\\n")
token = GuestToken.for_participant(participant_id=str(participant.pk), session_id=str(session.pk), display_name="g")
print(json.dumps({"document": str(document.pk), "session": str(session.pk), "guest": str(token),
                  "teacher": token_pair_for(user=teacher)["access"]}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, port: int, env: dict[str, str], log: Path, fixture: dict[str, str]) -> None:
        self.port, self.env, self.log, self.fixture = port, env, log, fixture

    def errors_listed(self) -> list[Any]:
        with sqlite3.connect(self.env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
            return db.execute("SELECT kind, message, path FROM monitoring_errorevent").fetchall()

    def exchange(self, request: bytes, timeout: float = 10) -> bytes:
        """Send a raw request; everything the server answers until it closes (or goes quiet)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            conn.sendall(request)
            answer = b""
            try:
                while chunk := conn.recv(65536):
                    answer += chunk
            except (TimeoutError, ConnectionResetError):  # a socket we never answered, closed by the server
                pass
            return answer

    def http(self, method: str, path: str, *, headers: bytes = b"", body: bytes = b"") -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        request = head.encode() + f"Content-Length: {len(body)}\r\nConnection: close\r\n".encode() + headers
        answer = self.exchange(request + b"\r\n" + body)
        return _status(answer), answer.split(b"\r\n\r\n", 1)[-1]

    def handshake(self, path: str, headers: bytes = b"") -> bytes:
        key = base64.b64encode(os.urandom(16))
        request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1\r\n").encode()  # fmt: skip
        return self.exchange(request + b"Sec-WebSocket-Key: " + key + b"\r\n" + headers + b"\r\n", timeout=5)


def _status(answer: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    assert match, f"no HTTP answer at all: {answer[:200]!r}"
    return int(match.group(1))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("server-limits")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "observer.settings",
                "DJANGO_ENV": "development", "SANDBOX_BACKEND": "fake", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO",
                "RATELIMIT_ENABLE": "false"})  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", FIXTURE], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    fixture = json.loads(made.stdout.strip().splitlines()[-1])
    port, log_path = _free_port(), tmp / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, *SERVER, "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            assert process.poll() is None, log_path.read_text(errors="replace")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                asyncio.run(asyncio.sleep(0.1))
        yield Server(port, env, log_path, fixture)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_every_launcher_starts_the_server_through_observer_server() -> None:
    """The message limit, lifespan and header guard are chosen in one place: a launcher
    that started uvicorn (or Daphne) by itself would serve without them."""
    assert settings.LIVE_DOCUMENT_MAX_FRAME_BYTES == settings.WEBSOCKET_MAX_MESSAGE_BYTES == 4 * MiB
    for launcher in ("scripts/run", "deploy/observer@.service", "README.md"):
        text = (ROOT / launcher).read_text()
        assert "-m observer.server" in text, launcher
        assert not re.search(r"\b(daphne|uvicorn)\s+(-|observer\.asgi)", text), launcher  # started by hand
    assert SERVER == ("-m", "observer.server")
    for test_launcher in ("tests/live/test_shutdown.py", "tests/live/test_stock_clients.py",
                          "tests/bench/bench_live.py", "tests/bench/bench_runs.py"):
        assert "*SERVER" in (ROOT / test_launcher).read_text(), test_launcher


def test_the_server_says_which_message_limit_it_runs_with(server: Server) -> None:
    assert f"WebSocket messages are limited to {4 * MiB} bytes" in server.log.read_text(errors="replace")


def test_the_reproductions_of_the_review_answer_4xx(server: Server) -> None:
    bad_bearer = b"Authorization: Bearer \xe9.\xe9.\xe9\r\n"
    assert server.http("GET", "/api/auth/me", headers=bad_bearer)[0] == 401
    assert server.http("POST", "/api/join", headers=bad_bearer, body=b'{"code": "x"}')[0] == 401
    status, body = server.http("POST", "/api/auth/login", body=b'{"username": "' + b"a" * (3 * MiB) + b'"}')
    assert (status, json.loads(body)["error"]["code"]) == (413, "request_too_large")
    for path in ("/api/auth/logout", "/api/auth/login", "/api/auth/register", "/api/auth/refresh"):
        status, body = server.http("POST", path, body=b"[" * 1000 + b"]" * 1000)
        assert (status, json.loads(body)["error"]["code"]) == (400, "parse_error"), path
    assert server.errors_listed() == []


@pytest.mark.parametrize("path", ["/ws/nonexistent/", "/ws/terminal/a/b/"])
def test_an_unknown_socket_path_gets_4404_after_the_handshake(server: Server, path: str) -> None:
    answer = server.handshake(f"{path}?token={server.fixture['teacher']}")
    assert _status(answer) == 101, answer[:200]
    # The close frame: opcode 8, then the code.
    frame = answer.split(b"\r\n\r\n", 1)[1]
    assert frame[0] & 0x0F == 8 and int.from_bytes(frame[2:4], "big") == 4404, frame[:20]
    assert server.errors_listed() == []


def test_a_subprotocol_offer_that_is_not_ascii_is_a_400(server: Server) -> None:
    answer = server.handshake("/ws/monitoring/", b"Sec-WebSocket-Protocol: observer, bearer.\xff\xfe\r\n")
    assert _status(answer) == 400, answer[:200]
    assert server.errors_listed() == []


@pytest.mark.parametrize(
    "request_kind",
    ["long token in the URL", "long Authorization", "many headers", "long socket token", "long socket header"],
)
def test_headers_over_the_limit_get_a_431_in_the_api_shape(server: Server, request_kind: str) -> None:
    big = "a" * 20_000
    if request_kind == "long token in the URL":
        answer = server.exchange(f"GET /api/auth/me?token={big} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    elif request_kind == "long Authorization":
        answer = server.exchange(f"GET /api/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {big}\r\n\r\n"
                                 .encode())  # fmt: skip
    elif request_kind == "many headers":
        many = "".join(f"X-Filler-{n}: {'b' * 100}\r\n" for n in range(200))
        answer = server.exchange(f"GET /api/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n{many}\r\n".encode())
    elif request_kind == "long socket token":
        answer = server.handshake(f"/ws/monitoring/?token={big}")
    else:
        answer = server.handshake("/ws/monitoring/", f"Sec-WebSocket-Protocol: observer, bearer.{big}\r\n".encode())
    assert _status(answer) == 431, answer[:300]
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
    assert error["code"] == "request_header_too_large" and error["details"]["limit"] == HEADERS_MAX_BYTES


def test_headers_just_under_the_limit_are_served(server: Server) -> None:
    filler = "c" * (HEADERS_MAX_BYTES - 200)
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: {filler}\r\nConnection: close\r\n\r\n"
    answer = server.exchange(request.encode())
    assert _status(answer) == 200, answer[:300]


async def _document_socket(server: Server) -> Any:
    import websockets

    url = f"ws://127.0.0.1:{server.port}/ws/documents/{uuid.UUID(server.fixture['document'])}/"
    return await websockets.connect(url, subprotocols=["observer", f"bearer.{server.fixture['guest']}"],  # type: ignore[list-item]
                                    origin="http://127.0.0.1", max_size=None, close_timeout=5)  # type: ignore[arg-type]


async def _next_error(ws: Any) -> dict[str, Any]:
    while True:
        raw = await asyncio.wait_for(ws.recv(), 30)
        if isinstance(raw, str) and (message := json.loads(raw))["type"] == "error":
            return dict(message)


async def test_a_document_frame_between_the_old_cut_and_the_limit_reaches_the_server(server: Server) -> None:
    """A 3 MiB paste: over Daphne's old default (1 MiB, which dropped the connection), under
    the 4 MiB frame limit, so the server itself answers: the file's content cap."""
    doc = ydoc.new_doc()
    ydoc.text_type(doc).insert(0, "x" * (3 * MiB))
    ws = await _document_socket(server)
    try:
        await ws.send(protocol.sync_update(doc.get_update()))
        assert (await _next_error(ws))["code"] == "too_large"
        await ws.send(protocol.sync_step1(ydoc.new_doc().get_state()))  # still open and answering
        while not isinstance(await asyncio.wait_for(ws.recv(), 30), bytes):
            pass
    finally:
        await ws.close()
    assert server.errors_listed() == []


async def test_a_document_frame_over_the_limit_is_closed_with_1009(server: Server) -> None:
    import websockets

    ws = await _document_socket(server)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        # The server closes as soon as the frame's header says how long it is: the rest
        # of the send may meet the closed connection, after the close frame arrived.
        await ws.send(b"\x00" * (4 * MiB + 1))
        while True:
            await asyncio.wait_for(ws.recv(), 30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009, closed.value
    assert server.errors_listed() == []


def test_the_log_keeps_paths_but_not_their_query_strings(server: Server) -> None:
    """An API client may send its token as `?token=`: the server's log says a query was
    there, never what it held (for requests and for sockets)."""
    secret = f"s3cret{uuid.uuid4().hex}"
    assert _status(server.exchange(f"GET /health?token={secret} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Connection: close\r\n\r\n".encode())) == 200  # fmt: skip
    assert _status(server.handshake(f"/ws/monitoring/?token={secret}")) == 403  # not a valid token
    log = server.log.read_text(errors="replace")
    assert '"WebSocket /ws/monitoring/?…" 403' in log and '"GET /health?… HTTP/1.1" 200' in log
    assert secret not in log
