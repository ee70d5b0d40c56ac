"""HTTP request latency by view, for Prometheus, and unhandled exceptions of views
outside the API (the API's own handler records those) for the operator's error list.

Add ``"monitoring.middleware.RequestLatencyMiddleware"`` to MIDDLEWARE, first, so the
time includes every other middleware. Works in sync and async stacks.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from monitoring.metrics import HTTP_LATENCY

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request: HttpRequest) -> str:
    """The URL's name (or the view's dotted path): bounded, unlike the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return str(match.view_name or match.route or "<unnamed>")[:100]


def _observe(request: HttpRequest, status: int, started: float) -> None:
    method = request.method if request.method in _METHODS else "OTHER"
    HTTP_LATENCY.labels(view=view_label(request), method=method, status=str(status)).observe(
        time.perf_counter() - started
    )


class RequestLatencyMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        try:
            response: HttpResponseBase = self.get_response(request)
        except Exception:
            _observe(request, 500, started)
            raise
        _observe(request, response.status_code, started)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        from monitoring.services import error_record

        error_record(source="http", exc=exception, request=request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        try:
            response: HttpResponseBase = await self.get_response(request)
        except Exception:
            _observe(request, 500, started)
            raise
        _observe(request, response.status_code, started)
        return response
