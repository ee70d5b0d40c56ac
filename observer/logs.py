"""Log records as one JSON object per line (journald keeps each as one entry and log
shippers parse it), with the id nginx gives every request (X-Request-ID, see
deploy/nginx-observer.conf): the same id is in nginx's access log and in the response's
own X-Request-ID header, so a user's report, the access log line and the app's traceback
meet on it. Wired in observer/settings.py LOGGING; LOG_FORMAT=json|plain picks it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from types import FrameType
from typing import Any

# Never trust a client-sized header into every log line.
_MAX_ID = 128


def request_id_of(request: Any) -> str:
    """The X-Request-ID nginx set on an HttpRequest (or a WebSocket's ASGI scope), or ""."""
    meta = getattr(request, "META", None)
    if isinstance(meta, dict):
        return str(meta.get("HTTP_X_REQUEST_ID", ""))[:_MAX_ID]
    if isinstance(request, dict):  # an ASGI scope: headers are (bytes, bytes) pairs
        for name, value in request.get("headers", ()):
            if name == b"x-request-id":
                return bytes(value).decode("latin-1")[:_MAX_ID]
    return ""


# How far up the stack a log call is searched for the request it is made for.
_MAX_FRAMES = 60


def _request_on_stack() -> str:
    """The id of the request (or socket scope) a log call is made for: the nearest frame
    up the stack with a local `request` (views, middleware, DRF handlers) or `scope`
    (ASGI applications and consumers; coroutine frames are on the stack while they run).
    Settings alone cannot add a middleware to put the id in a context variable; the
    stack already holds it."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            break
        local = frame.f_locals
        for name in ("request", "scope"):
            if name in local:
                try:
                    found = request_id_of(local[name])
                except Exception:  # noqa: BLE001 - any object may be called `request`; logging must not fail
                    found = ""
                if found:
                    return found
        frame = frame.f_back
    return ""


class RequestIdFilter(logging.Filter):
    """Sets `record.request_id`: from the request Django's loggers attach (`django.request`
    logs every 4xx/5xx and unhandled exception with `extra={"request": ...}`), else from
    the request or socket the code that logs is handling."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            source = getattr(record, "request", None) or getattr(record, "scope", None)
            record.request_id = request_id_of(source) or _request_on_stack()
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id when known, status_code when Django gave
    one, and the traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            entry["request_id"] = request_id
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            entry["status_code"] = status_code
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
