"""JSON log lines carry the id nginx gives each request (observer/logs.py)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import RequestFactory

from observer.logs import JsonFormatter, RequestIdFilter, request_id_of


def _format(record: logging.LogRecord) -> dict[str, object]:
    assert RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_request_log_line_carries_nginx_request_id() -> None:
    request = RequestFactory().get("/api/nothing", HTTP_X_REQUEST_ID="5f0c1d")
    entry = _format(_record("Not Found: %s", "/x", request=request, status_code=404))
    assert entry["request_id"] == "5f0c1d"
    assert entry["status_code"] == 404
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "django.request"
    assert entry["message"] == "Not Found: /x"


def test_a_line_outside_a_request_has_no_request_id() -> None:
    entry = _format(_record("started"))
    assert "request_id" not in entry


def test_a_traceback_stays_inside_the_one_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["traceback"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"type": "websocket", "headers": [(b"host", b"x"), (b"x-request-id", b"abc")]}, "abc"),
        ({"type": "websocket", "headers": []}, ""),
        (None, ""),
    ],
)
def test_the_id_of_a_socket_scope(source: object, expected: str) -> None:
    assert request_id_of(source) == expected


def test_a_client_sized_id_is_cut() -> None:
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="a" * 5000)
    assert len(request_id_of(request)) == 128


def _log_through_filter(logger_name: str) -> logging.LogRecord:
    """Logs as application code does (no `extra`), through a handler with the filter."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        logger.error("something failed")
    finally:
        logger.removeHandler(handler)
    return seen[0]


def test_a_line_logged_while_handling_a_request_carries_its_id() -> None:
    """ApiErrorMiddleware's traceback line, say: logged with no `extra`, inside a method
    whose `request` is the request being answered."""

    def view(request: object) -> logging.LogRecord:
        return _log_through_filter("observer.errors")

    record = view(RequestFactory().get("/api/x", HTTP_X_REQUEST_ID="abc123"))
    assert record.request_id == "abc123"  # type: ignore[attr-defined]


async def test_a_line_logged_by_a_socket_handler_carries_its_id() -> None:
    async def consumer(scope: dict[str, object]) -> logging.LogRecord:
        return _log_through_filter("observer.live")

    record = await consumer({"type": "websocket", "headers": [(b"x-request-id", b"ws-77")]})
    assert record.request_id == "ws-77"  # type: ignore[attr-defined]


def test_an_unrelated_local_called_request_is_ignored() -> None:
    class Exploding:
        def __getattr__(self, name: str) -> object:
            raise RuntimeError("not a request")

    def helper(request: object) -> logging.LogRecord:
        return _log_through_filter("observer.x")

    assert helper(Exploding()).request_id == ""  # type: ignore[attr-defined]
    assert helper("a string").request_id == ""  # type: ignore[attr-defined]
