"""Per-key limits: requests, executions and test sessions per window, counted with
django-ratelimit's counters (the cache: Redis when shared), answered with the project's
429 shape.

Every answer to a key carries its request allowance: X-RateLimit-Limit, -Remaining and
-Reset (seconds until the window starts again), as integrators expect of Judge0 and
Piston. Executions also pass the run service's own limits (its runs-per-window, the
global cap and the fair queue: coding.runs), where a key is one principal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from rest_framework.request import Request
from rest_framework.response import Response

from integrations.models import ApiKey
from observer.errors import RateLimited
from observer.signals import rate_limited

DEFAULT_REQUESTS_RATE = "200/15m"
DEFAULT_EXECUTIONS_RATE = "10/m"
DEFAULT_TEST_SESSIONS_RATE = "50/15m"


def requests_rate(key: ApiKey) -> str:
    return key.requests_rate or getattr(settings, "API_KEY_REQUESTS_RATE", DEFAULT_REQUESTS_RATE)


def executions_rate(key: ApiKey) -> str:
    return key.executions_rate or getattr(settings, "API_KEY_EXECUTIONS_RATE", DEFAULT_EXECUTIONS_RATE)


def test_sessions_rate(key: ApiKey) -> str:
    return key.test_sessions_rate or getattr(settings, "API_KEY_TEST_SESSIONS_RATE", DEFAULT_TEST_SESSIONS_RATE)


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset_seconds)}


def _usage(request: HttpRequest, *, group: str, key: ApiKey, rate: str, increment: bool) -> dict[str, Any]:
    usage = get_usage(request, group=group, key=lambda _g, _r: str(key.pk), rate=rate, increment=increment)
    return usage or {"count": 0, "limit": 0, "should_limit": False, "time_left": 0}


def count_request(request: HttpRequest, *, key: ApiKey) -> Allowance:
    """Count one request; RateLimited past the key's rate (the allowance is on the request
    either way, for the headers)."""
    usage = _usage(request, group="apikey:requests", key=key, rate=requests_rate(key), increment=True)
    allowance = Allowance(limit=int(usage["limit"]), remaining=max(0, int(usage["limit"]) - int(usage["count"])),
                          reset_seconds=max(0, int(usage["time_left"])))
    request._key_allowance = allowance  # type: ignore[attr-defined]
    if settings.RATELIMIT_ENABLE and usage["should_limit"]:
        rate_limited.send(sender=count_request, scope="apikey", key="requests", request=request)
        raise RateLimited(usage["time_left"], "This API key has made too many requests; "
                                              f"try again in {max(1, int(usage['time_left']))} seconds.")
    return allowance


def take_executions(request: HttpRequest, *, key: ApiKey, count: int) -> None:
    """Count `count` executions at once, or none: RateLimited if they do not all fit."""
    _take(request, key=key, count=count, group="apikey:executions", rate=executions_rate(key), what="runs")


def take_test_session(request: HttpRequest, *, key: ApiKey) -> None:
    """Count one new test session: RateLimited past the key's rate (default 50 / 15 min)."""
    _take(request, key=key, count=1, group="apikey:test-sessions", rate=test_sessions_rate(key),
          what="test sessions")


def _take(request: HttpRequest, *, key: ApiKey, count: int, group: str, rate: str, what: str) -> None:
    if not settings.RATELIMIT_ENABLE:
        return
    usage = _usage(request, group=group, key=key, rate=rate, increment=False)
    if int(usage["count"]) + count > int(usage["limit"]):
        rate_limited.send(sender=_take, scope="apikey", key=group.split(":", 1)[1], request=request)
        raise RateLimited(usage["time_left"], f"This API key may start {usage['limit']} {what} per window "
                                              f"({rate}); try again in {max(1, int(usage['time_left']))} seconds.")
    for _ in range(count):
        _usage(request, group=group, key=key, rate=rate, increment=True)


class KeyLimitedMixin:
    """For API views a key calls: counts each request against the key's allowance before
    anything else (so a refused request counts too), and puts the allowance on every answer."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.perform_authentication(request)  # type: ignore[attr-defined]
        if isinstance(request.auth, ApiKey):
            count_request(request._request, key=request.auth)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        allowance = getattr(request._request, "_key_allowance", None)
        if isinstance(allowance, Allowance):
            for name, value in allowance.headers().items():
                response[name] = value
        return response
