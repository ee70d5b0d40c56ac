"""Limits and malformed input through a real Daphne, started as scripts/run starts it:
what Daphne and Twisted do before the application sees a byte (header sizes, the
subprotocol header, message sizes) and the issue's reproductions end to end."""

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

from observer.daphne_guards import HEADERS_MAX_BYTES
from sessions.live import protocol, ydoc
from tests.e2e.server import DAPHNE_LIMITS

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


class Daphne:
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
def daphne(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    tmp = tmp_path_factory.mktemp("daphne-limits")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "observer.settings",
                "DJANGO_ENV": "development", "SANDBOX_BACKEND": "fake", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO",
                "RATELIMIT_ENABLE": "false"})  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", FIXTURE], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    fixture = json.loads(made.stdout.strip().splitlines()[-1])
    port, log_path = _free_port(), tmp / "daphne.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *DAPHNE_LIMITS,
                                    "observer.asgi:application"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    try:
        for _ in range(600):
            assert process.poll() is None, log_path.read_text(errors="replace")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                asyncio.run(asyncio.sleep(0.1))
        yield Daphne(port, env, log_path, fixture)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_every_launcher_starts_daphne_with_the_servers_own_message_limit() -> None:
    limit = str(settings.WEBSOCKET_MAX_MESSAGE_BYTES)
    assert settings.LIVE_DOCUMENT_MAX_FRAME_BYTES == settings.WEBSOCKET_MAX_MESSAGE_BYTES == 4 * MiB
    launchers = [ROOT / "scripts/run", ROOT / "deploy/observer@.service", ROOT / "README.md"]
    for launcher in launchers:
        text = launcher.read_text()
        assert f"--websocket-max-message-size {limit}" in text, launcher
        assert f"--websocket-max-frame-size {limit}" in text, launcher
    assert DAPHNE_LIMITS == ("--websocket-max-message-size", limit, "--websocket-max-frame-size", limit)
    for test_launcher in ("tests/live/test_shutdown.py", "tests/bench/bench_live.py"):
        assert "*DAPHNE_LIMITS" in (ROOT / test_launcher).read_text(), test_launcher


def test_the_server_says_which_message_limit_it_runs_with(daphne: Daphne) -> None:
    assert f"WebSocket messages are limited to {4 * MiB} bytes" in daphne.log.read_text(errors="replace")


def test_the_reproductions_of_the_review_answer_4xx(daphne: Daphne) -> None:
    bad_bearer = b"Authorization: Bearer \xe9.\xe9.\xe9\r\n"
    assert daphne.http("GET", "/api/auth/me", headers=bad_bearer)[0] == 401
    assert daphne.http("POST", "/api/join", headers=bad_bearer, body=b'{"code": "x"}')[0] == 401
    status, body = daphne.http("POST", "/api/auth/login", body=b'{"username": "' + b"a" * (3 * MiB) + b'"}')
    assert (status, json.loads(body)["error"]["code"]) == (413, "request_too_large")
    for path in ("/api/auth/logout", "/api/auth/login", "/api/auth/register", "/api/auth/refresh"):
        status, body = daphne.http("POST", path, body=b"[" * 1000 + b"]" * 1000)
        assert (status, json.loads(body)["error"]["code"]) == (400, "parse_error"), path
    assert daphne.errors_listed() == []


@pytest.mark.parametrize("path", ["/ws/nonexistent/", "/ws/terminal/a/b/"])
def test_an_unknown_socket_path_gets_4404_after_the_handshake(daphne: Daphne, path: str) -> None:
    answer = daphne.handshake(f"{path}?token={daphne.fixture['teacher']}")
    assert _status(answer) == 101, answer[:200]
    # The close frame: opcode 8, then the code.
    frame = answer.split(b"\r\n\r\n", 1)[1]
    assert frame[0] & 0x0F == 8 and int.from_bytes(frame[2:4], "big") == 4404, frame[:20]
    assert daphne.errors_listed() == []


def test_a_subprotocol_offer_that_is_not_ascii_is_a_400(daphne: Daphne) -> None:
    answer = daphne.handshake("/ws/monitoring/", b"Sec-WebSocket-Protocol: observer, bearer.\xff\xfe\r\n")
    assert _status(answer) == 400, answer[:200]
    assert daphne.errors_listed() == []


@pytest.mark.parametrize(
    "request_kind",
    ["long token in the URL", "long Authorization", "many headers", "long socket token", "long socket header"],
)
def test_headers_over_the_limit_get_a_431_in_the_api_shape(daphne: Daphne, request_kind: str) -> None:
    big = "a" * 20_000
    if request_kind == "long token in the URL":
        answer = daphne.exchange(f"GET /api/auth/me?token={big} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    elif request_kind == "long Authorization":
        answer = daphne.exchange(f"GET /api/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {big}\r\n\r\n"
                                 .encode())  # fmt: skip
    elif request_kind == "many headers":
        many = "".join(f"X-Filler-{n}: {'b' * 100}\r\n" for n in range(200))
        answer = daphne.exchange(f"GET /api/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n{many}\r\n".encode())
    elif request_kind == "long socket token":
        answer = daphne.handshake(f"/ws/monitoring/?token={big}")
    else:
        answer = daphne.handshake("/ws/monitoring/", f"Sec-WebSocket-Protocol: observer, bearer.{big}\r\n".encode())
    assert _status(answer) == 431, answer[:300]
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
    assert error["code"] == "request_header_too_large" and error["details"]["limit"] == HEADERS_MAX_BYTES


def test_headers_just_under_the_limit_are_served(daphne: Daphne) -> None:
    filler = "c" * (HEADERS_MAX_BYTES - 200)
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: {filler}\r\nConnection: close\r\n\r\n"
    answer = daphne.exchange(request.encode())
    assert _status(answer) == 200, answer[:300]


async def _document_socket(daphne: Daphne) -> Any:
    import websockets

    url = f"ws://127.0.0.1:{daphne.port}/ws/documents/{uuid.UUID(daphne.fixture['document'])}/"
    return await websockets.connect(url, subprotocols=["observer", f"bearer.{daphne.fixture['guest']}"],  # type: ignore[list-item]
                                    origin="http://127.0.0.1", max_size=None, close_timeout=5)  # type: ignore[arg-type]


async def _next_error(ws: Any) -> dict[str, Any]:
    while True:
        raw = await asyncio.wait_for(ws.recv(), 30)
        if isinstance(raw, str) and (message := json.loads(raw))["type"] == "error":
            return dict(message)


async def test_a_document_frame_between_the_old_cut_and_the_limit_reaches_the_server(daphne: Daphne) -> None:
    """A 3 MiB paste: over Daphne's default (1 MiB, which dropped the connection), under
    the 4 MiB frame limit, so the server itself answers: the file's content cap."""
    doc = ydoc.new_doc()
    ydoc.text_type(doc).insert(0, "x" * (3 * MiB))
    ws = await _document_socket(daphne)
    try:
        await ws.send(protocol.sync_update(doc.get_update()))
        assert (await _next_error(ws))["code"] == "too_large"
        await ws.send(protocol.sync_step1(ydoc.new_doc().get_state()))  # still open and answering
        while not isinstance(await asyncio.wait_for(ws.recv(), 30), bytes):
            pass
    finally:
        await ws.close()
    assert daphne.errors_listed() == []


async def test_a_document_frame_over_the_limit_is_closed_with_1009(daphne: Daphne) -> None:
    import websockets

    ws = await _document_socket(daphne)
    await ws.send(b"\x00" * (4 * MiB + 1))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009, closed.value
    assert daphne.errors_listed() == []


def test_a_daphne_started_with_another_limit_is_told_how_to_start_it(caplog: pytest.LogCaptureFixture) -> None:
    from daphne.ws_protocol import WebSocketFactory

    from observer import daphne_guards

    daphne_guards.install()
    factory = WebSocketFactory(object())
    assert factory.failByDrop is False  # over a limit: a close code, not a dropped connection
    with caplog.at_level("INFO", logger="observer.server"):
        factory.setProtocolOptions(maxMessagePayloadSize=MiB, maxFramePayloadSize=MiB)  # Daphne's defaults
    assert f"--websocket-max-message-size {4 * MiB}" in caplog.text and caplog.records[-1].levelname == "WARNING"
    caplog.clear()
    with caplog.at_level("INFO", logger="observer.server"):
        factory.setProtocolOptions(maxMessagePayloadSize=4 * MiB, maxFramePayloadSize=4 * MiB)
    assert caplog.records[-1].levelname == "INFO"
