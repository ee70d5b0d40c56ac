"""Answers a client can act on where Daphne, and the Twisted HTTP server under it, give
none (or a 500) to input they cannot handle. Measured on Daphne 4.2 / Twisted 26 /
autobahn 26 before this module:

- a `Sec-WebSocket-Protocol` offer holding bytes that are not ASCII (`bearer.\\xff\\xfe`):
  Daphne decodes it as ASCII in `onConnect` and the error becomes an HTTP 500 carrying
  the exception's text. Now: 400, before the application is involved.
- a request line or one header line over 16 KiB (a 20 KB `?token=`, a long
  `Authorization`): Twisted's LineReceiver drops the connection without a byte, so the
  client cannot tell why; request line and headers over 16 KiB together: a bare 400.
  Now both: 431 with the API's error body (`request_header_too_large`).
- a WebSocket message over `--websocket-max-message-size`: autobahn drops the TCP
  connection (its `failByDrop` default), the browser sees 1006. Now: a closing
  handshake with 1009 (message too big) and the limit in the reason.

Observer's own limit for a message is WEBSOCKET_MAX_MESSAGE_BYTES (settings); Daphne
must be started with the same number (README, scripts/run, deploy/observer@.service).
A Daphne started with another number is reported in the log when it starts listening.

Installed from observer/asgi.py, which Daphne imports before it listens. The patches
wrap three methods of classes these libraries build themselves (Daphne offers no hook
for its protocol classes), each calling the original for everything else.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger("observer.server")

# Request line and headers together (Twisted's HTTPChannel.totalHeadersSize). One line
# may be as long as all of them (LineReceiver.MAX_LENGTH is the same number).
HEADERS_MAX_BYTES = 16 * 1024

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    try:
        from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
        from twisted.web.http import HTTPChannel
    except ImportError:  # served by something else: nothing to guard
        return
    _installed = True
    _guard_headers(HTTPChannel)
    _guard_subprotocols(WebSocketProtocol)
    _close_instead_of_drop(WebSocketFactory)


def refusal_for_large_headers() -> bytes:
    body = json.dumps(
        {
            "error": {
                "code": "request_header_too_large",
                "message": f"The request line and headers are larger than the server takes "
                f"({HEADERS_MAX_BYTES} bytes together). Send the token in the Authorization header, "
                "not in the URL, and drop what is not needed.",
                "details": {"limit": HEADERS_MAX_BYTES},
            }
        }
    ).encode()
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def _guard_headers(channel_class: Any) -> None:
    channel_class.MAX_LENGTH = HEADERS_MAX_BYTES
    channel_class.totalHeadersSize = HEADERS_MAX_BYTES
    original_line_received = channel_class.lineReceived

    def refuse(channel: Any) -> None:
        if getattr(channel, "_observer_refused", False):
            return
        channel._observer_refused = True
        channel.transport.write(refusal_for_large_headers())
        channel.loseConnection()

    def lineReceived(self: Any, line: bytes) -> Any:  # Twisted's names
        if getattr(self, "_observer_refused", False):
            return None
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            return refuse(self)
        return original_line_received(self, line)

    def lineLengthExceeded(self: Any, line: bytes) -> Any:
        return refuse(self)

    channel_class.lineReceived = lineReceived
    channel_class.lineLengthExceeded = lineLengthExceeded


def _guard_subprotocols(protocol_class: Any) -> None:
    from autobahn.websocket.types import ConnectionDeny

    original_on_connect = protocol_class.onConnect

    def onConnect(self: Any, request: Any) -> Any:
        for name, value in request.headers.items():
            if name.lower() == "sec-websocket-protocol" and not value.isascii():
                raise ConnectionDeny(400, "Bad Request: Sec-WebSocket-Protocol must be ASCII")
        return original_on_connect(self, request)

    protocol_class.onConnect = onConnect


def _close_instead_of_drop(factory_class: Any) -> None:
    original_init = factory_class.__init__
    original_set_options = factory_class.setProtocolOptions

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # Over a limit or past a protocol error, close with a code (1009, 1002) instead of
        # dropping the TCP connection.
        original_set_options(self, failByDrop=False)

    def setProtocolOptions(self: Any, **options: Any) -> None:
        original_set_options(self, **options)
        if "maxMessagePayloadSize" in options:
            _check_message_limit(options["maxMessagePayloadSize"], options.get("maxFramePayloadSize"))

    factory_class.__init__ = __init__
    factory_class.setProtocolOptions = setProtocolOptions


def _check_message_limit(message_limit: int, frame_limit: int | None) -> None:
    from django.conf import settings

    ours = int(settings.WEBSOCKET_MAX_MESSAGE_BYTES)
    if message_limit == ours and frame_limit in (None, ours):
        logger.info("WebSocket messages are limited to %d bytes", ours)
        return
    logger.warning(
        "Daphne takes WebSocket messages up to %s bytes (frames %s) but Observer's documents take frames up to %d "
        "(WEBSOCKET_MAX_MESSAGE_BYTES): start Daphne with --websocket-max-message-size %d "
        "--websocket-max-frame-size %d (see README)",
        message_limit or "unlimited", frame_limit or "unlimited", ours, ours, ours,
    )
