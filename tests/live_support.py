"""Test helpers for the live layer: an ASGI app per registry (one "server process"),
authenticated WebSocket clients, and a minimal Yjs client speaking y-protocols."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.db import connections
from pycrdt import Doc

from accounts.middleware import TokenAuthMiddleware
from observer.routing import websocket_urlpatterns
from sessions.live import protocol, ydoc
from sessions.live.registry import LiveRegistry, LiveRegistryMiddleware
from tests.factories import TeacherFactory, UserFactory
from tests.live_factories import make_document, make_participant, make_session, token_for


def build_app(registry: LiveRegistry) -> Any:
    """What observer.asgi serves for WebSockets, bound to its own live registry."""
    return LiveRegistryMiddleware(
        AllowedHostsOriginValidator(TokenAuthMiddleware(URLRouter(websocket_urlpatterns))), registry
    )


@pytest.fixture
async def registry() -> AsyncIterator[LiveRegistry]:
    reg = LiveRegistry()
    yield reg
    await reg.close()
    # The database thread keeps its connection (CONN_MAX_AGE); the test database
    # cannot be dropped at the end while it is open.
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
async def app(registry: LiveRegistry) -> Any:
    return build_app(registry)


async def open_socket(app: Any, path: str, principal: Any, *, expect: bool = True) -> WebsocketCommunicator:
    token = principal if isinstance(principal, str) else await database_sync_to_async(token_for)(principal)
    comm = WebsocketCommunicator(
        app, path, headers=[(b"origin", b"http://testserver")], subprotocols=["observer", f"bearer.{token}"]
    )
    connected, subprotocol = await comm.connect(timeout=5)
    if expect:
        assert connected and subprotocol == "observer"
    return comm


async def recv(comm: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any] | None:
    """The next message from the app, or None after `timeout` (unlike
    `receive_output`, a timeout does not cancel the application)."""
    if comm.future.done():
        comm.future.result()  # raise what the application raised
    try:
        return dict(await asyncio.wait_for(comm.output_queue.get(), timeout))
    except TimeoutError:
        if comm.future.done():
            comm.future.result()
        return None


async def close_code(comm: WebsocketCommunicator, timeout: float = 3) -> int:
    """The code the server closed with, skipping frames sent before the close."""
    while True:
        message = await recv(comm, timeout)
        assert message is not None, "the server did not close the connection"
        if message["type"] == "websocket.close":
            return int(message.get("code", 1000))


async def next_json(comm: WebsocketCommunicator, type_: str | None = None, timeout: float = 3) -> dict[str, Any]:
    """The next JSON frame (of `type_`, skipping others and binary frames)."""
    while True:
        message = await recv(comm, timeout)
        assert message is not None, f"no {type_ or 'JSON'} frame arrived"
        assert message["type"] == "websocket.send", message
        if message.get("text") is None:
            continue
        data = json.loads(message["text"])
        if type_ is None or data.get("type") == type_:
            return dict(data)


@dataclass
class YClient:
    """A browser editor in miniature: a Yjs doc synced over a communicator."""

    comm: WebsocketCommunicator
    doc: Doc = field(default_factory=ydoc.new_doc)
    texts: list[dict[str, Any]] = field(default_factory=list)
    awareness: list[bytes] = field(default_factory=list)
    steps: int = 0

    @property
    def text(self) -> str:
        return ydoc.text_of(self.doc)

    async def handshake(self) -> None:
        """Send our state vector, answer the server's, and take what we lack."""
        self.steps = 0
        await self.comm.send_to(bytes_data=protocol.sync_step1(self.doc.get_state()))
        await self.pump(until=lambda: self.steps >= 2)

    def handle(self, message: dict[str, Any]) -> bytes | None:
        if message.get("text") is not None:
            self.texts.append(json.loads(message["text"]))
            return None
        parsed = protocol.parse(message["bytes"])
        if parsed.kind == protocol.MESSAGE_AWARENESS:
            self.awareness.append(parsed.payload)
        elif parsed.sync_type == protocol.SYNC_STEP1:
            self.steps += 1
            return protocol.sync_step2(self.doc.get_update(parsed.payload))
        else:
            self.steps += parsed.sync_type == protocol.SYNC_STEP2
            ydoc.apply_update(self.doc, parsed.payload)
        return None

    async def pump(self, *, until: Any, timeout: float = 3) -> None:
        """Handle incoming frames until `until()` holds (or quiet for `timeout`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not until():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            message = await recv(self.comm, remaining)
            if message is None or message["type"] != "websocket.send":
                return
            reply = self.handle(message)
            if reply is not None:
                await self.comm.send_to(bytes_data=reply)

    async def wait_text(self, expected: str, timeout: float = 3) -> str:
        await self.pump(until=lambda: self.text == expected, timeout=timeout)
        return self.text

    async def type(self, index: int, chars: str) -> None:
        """Insert `chars` at code point `index` and send the update."""
        before = self.doc.get_state()
        text = ydoc.text_type(self.doc)
        offset = len(self.text[:index].encode())
        text.insert(offset, chars)
        await self.comm.send_to(bytes_data=protocol.sync_update(self.doc.get_update(before)))


@dataclass
class Classroom:
    teacher: Any
    student: Any
    session: Any
    participant: Any
    document: Any


def make_classroom(**session_fields: Any) -> Classroom:
    teacher = TeacherFactory(password=None)  # no password hashing: tests stay fast
    student = UserFactory(password=None)
    session = make_session(teacher=teacher, **session_fields)
    participant = make_participant(session=session, user=student)
    document = make_document(participant=participant, content="print('hi')\n")
    return Classroom(teacher, student, session, participant, document)


@pytest.fixture
async def classroom(transactional_db: None) -> Classroom:
    return await database_sync_to_async(make_classroom)()


async def editor(app: Any, document: Any, principal: Any) -> YClient:
    client = YClient(await open_socket(app, f"/ws/documents/{document.pk}/", principal))
    await client.handshake()
    return client


async def hub_has(registry: LiveRegistry, document: Any, text: str, timeout: float = 3) -> None:
    """Wait until the server's copy of `document` reads `text`."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        hub = registry.hubs.get(document.pk)
        if hub is not None and hub.text == text:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the server never got {text!r}")
