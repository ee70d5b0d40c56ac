"""A real server (observer.server), stopped with SIGTERM (as systemd stops it) before the
live layer's periodic flush came due, writes what its editors typed: the log, the
snapshot and the plain text reach the database before the process exits."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from sessions.live import protocol, ydoc
from tests.e2e.server import SERVER

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = """
import json
from accounts.models import Role, User
from accounts.tokens import GuestToken
from sessions.models import ClassSession, Document, Participant
teacher = User.objects.create(username="t", role=Role.TEACHER)
session = ClassSession.objects.create(teacher=teacher, title="s", language="python", state="live", join_code="SHUT01")
participant = Participant.objects.create(session=session, display_name="g", is_guest=True)
document = Document.objects.create(participant=participant, name="main.py", content="print('hi')\\n")
token = GuestToken.for_participant(participant_id=str(participant.pk), session_id=str(session.pk), display_name="g")
print(json.dumps({"document": document.pk.hex, "token": str(token)}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE":
                "tests.live.server_settings", "DJANGO_ENV": "development", "SANDBOX_BACKEND": "fake",
                "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO", "PYTHONFAULTHANDLER": "1"})
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    return env


async def _wait_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert process.poll() is None, "the server exited at start"
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError("the server never listened")


async def _type(port: int, fixture: dict[str, str], text: str) -> None:
    """An editor: sync, type `text` a keystroke at a time, and wait until the server
    has applied it all (it answers a step 1 after every frame before it)."""
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/documents/{uuid.UUID(fixture['document'])}/"
    async with websockets.connect(url, subprotocols=["observer", f"bearer.{fixture['token']}"],  # type: ignore[list-item]
                                  origin="http://127.0.0.1", max_size=None) as ws:  # type: ignore[arg-type]
        doc = ydoc.new_doc()
        await ws.send(protocol.sync_step1(doc.get_state()))
        while ydoc.text_of(doc) != "print('hi')\n":
            raw = await asyncio.wait_for(ws.recv(), 10)
            if isinstance(raw, bytes) and (m := protocol.parse(raw)).kind == protocol.MESSAGE_SYNC:
                if m.sync_type != protocol.SYNC_STEP1:
                    ydoc.apply_update(doc, m.payload)
        for ch in text:
            before = doc.get_state()
            ydoc.text_type(doc).insert(len(ydoc.text_of(doc).encode()), ch)
            await ws.send(protocol.sync_update(doc.get_update(before)))
        await ws.send(protocol.sync_step1(doc.get_state()))
        while True:
            raw = await asyncio.wait_for(ws.recv(), 10)
            if isinstance(raw, bytes) and protocol.parse(raw).sync_type == protocol.SYNC_STEP2:
                return


def _stored(env: dict[str, str], document: str) -> tuple[str, int]:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        content = db.execute("SELECT content FROM classroom_document WHERE id = ?", (document,)).fetchone()[0]
        logged = db.execute("SELECT COUNT(*) FROM classroom_documentupdate WHERE document_id = ?",
                            (document,)).fetchone()[0]
    return str(content), int(logged)


async def test_it_writes_what_was_typed_on_sigterm(server_env: dict[str, str], tmp_path: Path) -> None:
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", FIXTURE], cwd=ROOT, env=server_env,
                          check=True, capture_output=True, text=True, timeout=120)
    fixture: dict[str, Any] = json.loads(made.stdout.strip().splitlines()[-1])
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([sys.executable, *SERVER, "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=server_env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        await _wait_port(port, server)
        typed = "for i in range(3):\n    print(i)\n"
        await _type(port, fixture, typed)
        assert _stored(server_env, fixture["document"]) == ("print('hi')\n", 1)  # nothing written yet
        # A second tab stays open through the shutdown: the server closes it with 1012
        # (service restart), on which a browser reconnects.
        import websockets

        url = f"ws://127.0.0.1:{port}/ws/documents/{uuid.UUID(fixture['document'])}/"
        tab = await websockets.connect(url, subprotocols=["observer", f"bearer.{fixture['token']}"],  # type: ignore[list-item]
                                       origin="http://127.0.0.1", max_size=None)  # type: ignore[arg-type]
        await tab.send(protocol.sync_step1(b"\x00"))
        await asyncio.wait_for(tab.recv(), 10)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(server.wait, 30)
        except subprocess.TimeoutExpired:
            log.flush()
            raise AssertionError("the server did not stop within 30 s of SIGTERM:\n"
                                 + (tmp_path / "server.log").read_text(errors="replace")) from None
        assert code == 0, (tmp_path / "server.log").read_text(errors="replace")
        assert time.monotonic() - started < 30
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(tab.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012, closed.value
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
    content, logged = _stored(server_env, fixture["document"])
    output = (tmp_path / "server.log").read_text(errors="replace")
    assert content == "print('hi')\n" + typed, output
    assert logged == 1 + len(typed), output
    # Every task of the killed consumers ended before the loop did.
    assert "Task was destroyed but it is pending" not in output, output


@pytest.mark.django_db(transaction=True)
async def test_the_lifespan_shutdown_writes_what_the_live_layer_holds(settings: Any) -> None:
    """What observer.server does at start and after the sockets closed: `lifespan.startup`
    settles the garbage collector, `lifespan.shutdown` closes every registry of the
    process, with its final write."""
    from channels.db import database_sync_to_async
    from django.db import connections

    from observer.asgi import application
    from observer.server import GC_THRESHOLDS
    from sessions.live import shutdown
    from sessions.live.registry import LiveRegistry
    from sessions.models import Document
    from tests.live_support import build_app, editor, hub_has, make_classroom

    settings.LIVE_FLUSH_SECONDS = settings.LIVE_SNAPSHOT_IDLE_SECONDS = settings.LIVE_SNAPSHOT_MAX_SECONDS = 3600.0
    settings.PERIODIC_JOBS = False
    registry = LiveRegistry()
    try:
        classroom = await database_sync_to_async(make_classroom)()
        document = classroom.document
        typing = await editor(build_app(registry), document, classroom.student)
        typed = "x = 1\n"
        for ch in typed:
            await typing.type(len(typing.text), ch)
        await hub_has(registry, document, "print('hi')\n" + typed)
        shutdown.on_shutdown(registry)
        stored = await database_sync_to_async(Document.objects.get)(pk=document.pk)
        assert stored.content == "print('hi')\n"  # nothing written yet

        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            outbox.append(message)

        thresholds = gc.get_threshold()
        lifespan = asyncio.create_task(application({"type": "lifespan"}, inbox.get, send))
        try:
            await inbox.put({"type": "lifespan.startup"})
            while not outbox:
                await asyncio.sleep(0.01)
            # The startup settled the collector: what was loaded is frozen, collections rarer.
            assert gc.get_freeze_count() > 0 and gc.get_threshold() == GC_THRESHOLDS
            await inbox.put({"type": "lifespan.shutdown"})
            await asyncio.wait_for(lifespan, 30)
        finally:
            gc.unfreeze()
            gc.set_threshold(*thresholds)
        assert [m["type"] for m in outbox] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
        stored = await database_sync_to_async(Document.objects.get)(pk=document.pk)
        assert stored.content == "print('hi')\n" + typed
        assert registry._closed
    finally:
        await registry.close()
        await database_sync_to_async(connections.close_all)()


def _under_a_server(work: Any, *, stop_after: float | None = None) -> tuple[list[Any], bool]:
    """Run `work` in an asgiref worker thread of an event loop of its own (as a view or
    a consumer's database call runs under the server); stop the loop after `stop_after`
    seconds if given. What `work` returned or raised, and whether it ever returned."""
    import threading

    from asgiref.sync import sync_to_async

    outcome: list[Any] = []
    returned = threading.Event()

    def worker() -> None:
        try:
            outcome.append(work())
        except RuntimeError as exc:  # LoopStopped is one
            outcome.append(exc)
        returned.set()

    loop = asyncio.new_event_loop()
    task = loop.create_task(sync_to_async(worker, thread_sensitive=False)())
    if stop_after is None:
        task.add_done_callback(lambda _: loop.stop())
    else:
        loop.call_later(stop_after, loop.stop)
    loop.run_forever()
    ended = returned.wait(5)
    if ended:
        loop.run_until_complete(task)
    loop.close()
    return outcome, ended


def test_async_calls_from_sync_code_reach_the_server_loop() -> None:
    from observer import from_sync

    seen: list[Any] = []

    async def on_the_loop(value: int) -> int:
        seen.append(asyncio.get_running_loop())
        return value * 2

    outcome, ended = _under_a_server(lambda: from_sync.call(on_the_loop, 21))
    assert ended and outcome == [42] and len(seen) == 1


def test_an_async_call_from_sync_code_ends_when_the_server_loop_stops(caplog: pytest.LogCaptureFixture) -> None:
    """A broadcast in flight when the server stops: async_to_sync would wait for the stopped
    loop for ever, and the interpreter would wait for that thread at exit."""
    from observer import from_sync

    async def never() -> None:
        await asyncio.Event().wait()

    outcome, ended = _under_a_server(lambda: from_sync.call(never), stop_after=0.3)
    assert ended, "the worker thread was still waiting for a stopped loop"
    assert len(outcome) == 1 and isinstance(outcome[0], from_sync.LoopStopped)

    outcome, ended = _under_a_server(lambda: from_sync.send(never), stop_after=0.3)
    assert ended and outcome == [False]
    assert "not sent, the server is stopping" in caplog.text


def test_an_async_call_from_sync_code_without_a_server_is_async_to_sync() -> None:
    from observer import from_sync

    async def answer() -> str:
        return "ran"

    assert from_sync.call(answer) == "ran"

    # A thread whose asgiref note names a loop that no longer runs (a worker thread
    # reused after its loop ended): no server to wait for, so not LoopStopped either.
    import threading

    from asgiref.sync import SyncToAsync

    ended = asyncio.new_event_loop()
    ended.close()
    outcome: list[Any] = []

    def stale() -> None:
        SyncToAsync.threadlocal.main_event_loop = ended
        SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
        outcome.append(from_sync.call(answer))

    thread = threading.Thread(target=stale)
    thread.start()
    thread.join(5)
    assert outcome == ["ran"]
