"""Serving Observer: `python -m observer.server [--host 127.0.0.1] [--port 8000]`.

One process is uvicorn on uvloop: HTTP parsed by httptools, WebSockets by the
`websockets` library's sans-I/O protocol (its frame unmasking in C). It replaced Daphne,
whose WebSocket layer (Twisted and autobahn, in Python) took half of a busy process's
time and held each keystroke for tens of milliseconds (docs/live.md, "Serving").
Every launcher (scripts/run, deploy/observer@.service, the tests and benchmarks) starts
this module, so the settings below are the only place a server's options are chosen:

- WebSocket messages up to WEBSOCKET_MAX_MESSAGE_BYTES (documents take frames that
  large); past it the socket is closed with 1009 (message too big).
- No permessage-deflate: frames are a few bytes of CRDT update, and each compressed
  socket keeps two zlib contexts (memory per student, CPU per keystroke).
- No proxy headers: uvicorn would take X-Forwarded-For from a trusted peer; Observer
  reads it itself (TRUST_X_FORWARDED_FOR, the last hop: accounts.client_ip).
- The garbage collector settled once the application is loaded (settle_garbage_collector).
- The ASGI lifespan: on SIGTERM or SIGINT the server stops listening, closes each socket
  with 1012 (service restart: the browser reconnects, through nginx to another process),
  waits for their consumers, then runs the apps' shutdown hooks (the live layer writes
  what it holds: sessions.live.shutdown) before the process exits.

And what the server answers before the application sees a byte, in the API's shape:
- a request line and headers over HEADERS_MAX_BYTES together: 431
  (`request_header_too_large`), also while they are still arriving (nothing buffers more);
- a `Sec-WebSocket-Protocol` offer that is not ASCII: 400 (ServerEdge, below).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger("observer.server")

# Request line and headers together, as the client sent them.
HEADERS_MAX_BYTES = 16 * 1024

# Seconds a stopping server waits for its sockets' consumers before the final write.
GRACEFUL_SHUTDOWN_SECONDS = 10


def _json_error(code: str, message: str, details: Any = None) -> bytes:
    from observer.errors import error_body

    return json.dumps(error_body(code, message, details)).encode()


def refusal_for_large_headers() -> bytes:
    body = _json_error(
        "request_header_too_large",
        f"The request line and headers are larger than the server takes ({HEADERS_MAX_BYTES} bytes together). "
        "Send the token in the Authorization header, not in the URL, and drop what is not needed.",
        {"limit": HEADERS_MAX_BYTES},
    )
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class HeadersTooLarge(Exception):
    pass


def http_protocol() -> type:
    """uvicorn's httptools protocol, counting each request's line and headers.

    The parser hands complete pieces to the callbacks (the URL, each header), which count
    them exactly; the bytes that arrive while a head is still incomplete are counted too,
    so a header that never ends is refused once it passes the limit instead of buffered.
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]
        _head_bytes = 0  # counted by the callbacks, for the request being parsed
        _raw_head_bytes = 0  # received while no head was complete
        _in_head = True
        _refused = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._in_head:
                self._raw_head_bytes += len(data)
            super().data_received(data)
            if self._in_head and self._raw_head_bytes > HEADERS_MAX_BYTES and not self._refused:
                self._refuse()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_bytes, self._in_head = 0, True

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)  # ": " and CRLF
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head, self._raw_head_bytes = False, 0
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True

        def _count(self, size: int) -> None:
            self._head_bytes += size
            if self._head_bytes > HEADERS_MAX_BYTES:
                raise HeadersTooLarge  # the parser stops; uvicorn answers through send_400_response

        def send_400_response(self, msg: str) -> None:
            if self._head_bytes > HEADERS_MAX_BYTES:
                self._refuse()
            else:
                super().send_400_response(msg)

        def _refuse(self) -> None:
            self._refused = True
            if not self.transport.is_closing():
                self.transport.write(refusal_for_large_headers())
                self.transport.close()

    return GuardedHttpToolsProtocol


def _allow_long_handshake_lines() -> None:
    """The WebSocket handshake is parsed again by `websockets`, whose own limits (8 KiB a
    line, 128 headers) are under ours: a handshake the HTTP layer let through must not
    fail there with another answer."""
    from websockets import http11

    http11.MAX_LINE_LENGTH = max(http11.MAX_LINE_LENGTH, HEADERS_MAX_BYTES + 64)
    http11.MAX_NUM_HEADERS = max(http11.MAX_NUM_HEADERS, HEADERS_MAX_BYTES // 4)


ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

# What runs when the process stops, after the sockets closed: apps register their hooks
# from AppConfig.ready (the live layer's final write: sessions.apps).
SHUTDOWN_HOOKS: dict[str, Callable[[], Awaitable[None]]] = {}


def on_shutdown(name: str, hook: Callable[[], Awaitable[None]]) -> None:
    SHUTDOWN_HOOKS[name] = hook


class ServerEdge:
    """ASGI middleware at the server's edge (observer.asgi): the lifespan (the live
    layer's final write when the process stops) and the socket offers the application
    cannot read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket" and not all(offer.isascii() for offer in scope.get("subprotocols", ())):
            await _refuse_socket(scope, send, 400, "bad_request", "Sec-WebSocket-Protocol must be ASCII.")
        else:
            await self.app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        from observer import periodic

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                settle_garbage_collector()
                periodic.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for name, hook in SHUTDOWN_HOOKS.items():
                    try:
                        await hook()
                    except Exception:
                        logger.exception("shutdown hook %s failed", name)
                await send({"type": "lifespan.shutdown.complete"})
                return


# Collections of the youngest generation every this many net allocations (CPython's
# default is 700), of the older ones every 20 and 50 of the younger's.
GC_THRESHOLDS = (20_000, 20, 50)


def settle_garbage_collector() -> None:
    """Once the application is loaded: move what exists (Django, the URL conf, the
    modules: hundreds of thousands of objects that live as long as the process) out of
    the collector's sight, and collect less often. The cyclic collector stops the event
    loop while it runs; on one process serving a class of 200 (bench_live.py), full
    collections took up to 156 ms, and every socket waited through them."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _refuse_socket(scope: dict[str, Any], send: Any, status: int, code: str, message: str) -> None:
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1002})
        return
    body = _json_error(code, message)
    await send({"type": "websocket.http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "websocket.http.response.body", "body": body})


class _PathsWithoutQueries(logging.Filter):
    """uvicorn logs each request's and socket's path with its query string, where an API
    client may carry `?token=`: the logs keep the path and say a query was there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?…" if isinstance(arg, str) and arg.startswith("/") and "?" in arg else arg
                for arg in record.args
            )
        return True


def config(host: str, port: int) -> Any:
    import uvicorn
    from django.conf import settings

    _allow_long_handshake_lines()
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(_PathsWithoutQueries())
    return uvicorn.Config(
        "observer.asgi:application",
        host=host,
        port=port,
        loop="uvloop",
        http=http_protocol(),
        ws="websockets-sansio",
        ws_max_size=int(settings.WEBSOCKET_MAX_MESSAGE_BYTES),
        ws_per_message_deflate=False,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_config=None,  # Django's LOGGING (observer.settings) formats every logger
    )


def server(host: str, port: int) -> Any:
    import contextlib
    from collections.abc import Iterator

    import uvicorn

    class Server(uvicorn.Server):  # type: ignore[misc]
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                # uvicorn raises the signal again once it has stopped, so that the process
                # dies of it; the stop it asked for is done: exit 0 (and no KeyboardInterrupt
                # traceback after Ctrl+C).
                self._captured_signals.clear()

    return Server(config(host, port))


def main(argv: list[str] | None = None) -> None:
    import os

    import django

    parser = argparse.ArgumentParser(prog="python -m observer.server",
                                     description="Serve Observer (HTTP and WebSockets).")
    parser.add_argument("--host", "-b", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", "-p", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observer.settings")
    django.setup()
    from django.conf import settings

    logger.info("WebSocket messages are limited to %d bytes", settings.WEBSOCKET_MAX_MESSAGE_BYTES)
    server(args.host, args.port).run()


if __name__ == "__main__":
    main()
