"""/ws/executions/{id}/: an async execution's output as it comes, then its stored result;
authenticated by the API key that made it (header or subprotocol), no Origin needed."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from accounts.middleware import TokenAuthMiddleware
from coding import limits
from integrations.routing import ApiKeySockets
from observer.routing import websocket_urlpatterns
from tests.live_support import recv

pytestmark = pytest.mark.django_db(transaction=True)

# What observer.asgi serves for WebSockets.
APP = ApiKeySockets(AllowedHostsOriginValidator(TokenAuthMiddleware(URLRouter(websocket_urlpatterns))))
SOURCE = {"language": "python", "files": [{"name": "main.py", "content": 'print("one")\n# FAKE:stderr=oops\n'}]}


async def start(secret: str, body: dict[str, Any] = SOURCE) -> str:
    accepted = await AsyncClient().post("/api/v1/executions?async=true", body, content_type="application/json",
                                        headers={"X-API-Key": secret})
    assert accepted.status_code == 202, accepted.content
    return str(accepted.json()["id"])


async def finished(secret: str, execution_id: str) -> int:
    for _ in range(600):
        answer = await AsyncClient().get(f"/api/v1/executions/{execution_id}", headers={"X-API-Key": secret})
        if answer.status_code != 202:
            return int(answer.status_code)
        await asyncio.sleep(0.05)
    raise AssertionError("the execution did not end")


async def connect(execution_id: str, *, headers: list[tuple[bytes, bytes]] | None = None,
                  subprotocols: list[str] | None = None) -> tuple[WebsocketCommunicator, bool, str | None]:
    comm = WebsocketCommunicator(APP, f"/ws/executions/{execution_id}/", headers=headers or [],
                                 subprotocols=subprotocols)
    connected, subprotocol = await comm.connect(timeout=5)
    return comm, connected, subprotocol


async def frames_until_close(comm: WebsocketCommunicator) -> tuple[list[dict[str, Any]], int | None]:
    frames: list[dict[str, Any]] = []
    while True:
        message = await recv(comm, timeout=10)
        assert message is not None, f"the socket neither sent nor closed; so far {frames}"
        if message["type"] == "websocket.close":
            return frames, message.get("code")
        frames.append(json.loads(message["text"]))


async def test_it_streams_stdout_and_stderr_as_they_come_then_the_result(make_key: Any) -> None:
    issued = await database_sync_to_async(make_key)("execute")
    held = [f"hold-{n}" for n in range(2)]  # the fixture's two slots: the run waits in the queue
    for ticket in held:
        assert (await limits.slot_acquire(ticket=ticket, key=f"u:{ticket}", first=True)).granted
    execution_id = await start(issued.secret)
    comm, connected, subprotocol = await connect(execution_id, headers=[(b"x-api-key", issued.secret.encode())])
    assert connected and subprotocol is None  # no Origin header, no subprotocol: a server's client
    for ticket in held:
        await limits.slot_release(ticket=ticket)
    frames, code = await frames_until_close(comm)
    kinds = [frame["type"] for frame in frames if frame["type"] != "queued"]
    assert kinds == ["started", "stdout", "stderr", "exit", "result"] and code == 1000
    assert frames[-4]["data"] == "one\n" and frames[-3]["data"] == "oops\n"
    result = frames[-1]["execution"]
    assert (result["status"], result["stdout"], result["stderr"]) == ("ok", "one\n", "oops\n")
    assert result["id"] == frames[-2]["run_id"] and result["created_at"].endswith("Z")


async def test_after_the_end_it_sends_the_stored_result_and_closes(make_key: Any) -> None:
    issued = await database_sync_to_async(make_key)("execute", "read")
    execution_id = await start(issued.secret)
    assert await finished(issued.secret, execution_id) == 200
    comm, connected, subprotocol = await connect(execution_id, subprotocols=["observer", f"apikey.{issued.secret}"])
    assert connected and subprotocol == "observer"  # a browser's way, which cannot set headers
    frames, code = await frames_until_close(comm)
    assert [frame["type"] for frame in frames] == ["result"] and code == 1000
    assert frames[0]["execution"]["stdout"] == "one\n"


async def test_a_refused_run_gets_its_error_frame_then_closes(make_key: Any, settings: Any) -> None:
    settings.RUN_LIMITS = {**settings.RUN_LIMITS, "queue_max": 0}  # no room to wait: every run is refused
    issued = await database_sync_to_async(make_key)("execute")
    execution_id = await start(issued.secret)
    assert await finished(issued.secret, execution_id) == 503
    comm, connected, _ = await connect(execution_id, headers=[(b"authorization", f"Bearer {issued.secret}".encode())])
    frames, code = await frames_until_close(comm)
    assert [(frame["type"], frame["code"]) for frame in frames] == [("error", "busy")] and code == 1000


async def test_who_may_watch(make_key: Any) -> None:
    owner, reader, other, stranger = [await database_sync_to_async(make_key)(*scopes) for scopes in (
        ("execute",), ("read",), ("execute",), ("test-sessions",))]
    execution_id = await start(owner.secret)
    assert await finished(owner.secret, execution_id) == 200

    async def close_code(path_id: str, secret: str | None) -> int | None:
        headers = [(b"x-api-key", secret.encode())] if secret else []
        comm, connected, _ = await connect(path_id, headers=headers)
        assert connected  # refusals come after the handshake, with a code that says why
        message = await recv(comm, timeout=5)
        assert message is not None and message["type"] == "websocket.close", message
        return message.get("code")

    assert await close_code(execution_id, None) == 1008
    assert await close_code(execution_id, "obs_nope_nope") == 1008
    assert await close_code(execution_id, stranger.secret) == 4403  # neither execute nor read
    assert await close_code(execution_id, reader.secret) == 4404  # read, but another key's execution
    assert await close_code(execution_id, other.secret) == 4404
    assert await close_code(str(uuid.uuid4()), owner.secret) == 4404
    assert await close_code("not-an-id", owner.secret) == 4404
    assert await close_code(f"{execution_id}/more", owner.secret) == 4404


async def test_the_other_sockets_keep_their_origin_and_token_checks() -> None:
    comm = WebsocketCommunicator(APP, "/ws/monitoring/")  # no Origin, no token
    connected, _ = await comm.connect(timeout=5)
    assert not connected


async def test_frames_from_the_client_get_an_error_frame_and_the_socket_stays(make_key: Any) -> None:
    from tests.test_malformed_input import _frames  # the project's corpus of malformed frames

    issued = await database_sync_to_async(make_key)("execute")
    assert (await limits.slot_acquire(ticket="hold-a", key="u:a", first=True)).granted
    assert (await limits.slot_acquire(ticket="hold-b", key="u:b", first=True)).granted
    execution_id = await start(issued.secret)
    comm, connected, _ = await connect(execution_id, headers=[(b"x-api-key", issued.secret.encode())])
    assert connected
    try:
        for name, frame in _frames().items():
            await comm.send_input({"type": "websocket.receive", **frame})
            answer = await recv(comm, timeout=5)
            while answer is not None and json.loads(answer.get("text") or "{}").get("type") == "queued":
                answer = await recv(comm, timeout=5)
            assert answer is not None and answer["type"] == "websocket.send", (name, answer)
            assert json.loads(answer["text"])["type"] == "error", (name, answer)
            assert json.loads(answer["text"])["code"] != "server_error", (name, answer)
    finally:
        for ticket in ("hold-a", "hold-b"):
            await limits.slot_release(ticket=ticket)
    frames, code = await frames_until_close(comm)
    assert frames[-1]["type"] == "result" and code == 1000


async def test_a_socket_looks_again_by_itself_when_no_end_is_told(make_key: Any, monkeypatch: Any) -> None:
    """A run whose server process died never tells `done`: the socket finds out on its own."""
    from integrations import consumers

    issued = await database_sync_to_async(make_key)("execute")
    held = [f"hold-{n}" for n in range(2)]
    for ticket in held:
        assert (await limits.slot_acquire(ticket=ticket, key=f"u:{ticket}", first=True)).granted
    try:
        execution_id = await start(issued.secret)
        monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.05)
        comm, connected, _ = await connect(execution_id, headers=[(b"x-api-key", issued.secret.encode())])
        assert connected
        real = consumers.stored_answer

        def stopped(**kwargs: Any) -> Any:
            found = real(**kwargs)
            if found and found[0] == "queued":
                return "rejected", {"code": "server_stopped", "message": "gone"}
            return found

        monkeypatch.setattr(consumers, "stored_answer", stopped)
        frames, code = await frames_until_close(comm)
        assert [(f["type"], f.get("code")) for f in frames if f["type"] != "queued"] == [("error", "server_stopped")]
        assert code == 1000
    finally:
        for ticket in held:
            await limits.slot_release(ticket=ticket)
