"""Fixed-window attempt limits (django-ratelimit's counters) raising the 429 shape."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from observer.errors import RateLimited
from observer.signals import rate_limited


def client_ip(request: HttpRequest) -> str:
    """The client address; behind nginx the real one is the last X-Forwarded-For hop."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def enforce(request: HttpRequest, *, group: str, rate_name: str, key_value: str | None = None) -> None:
    """Count one attempt for `group` keyed by IP (or by `key_value`); raise 429 past the rate."""
    if not settings.RATELIMIT_ENABLE:
        return
    rate = settings.RATELIMITS[rate_name]
    value = key_value if key_value is not None else client_ip(request)
    usage = get_usage(
        request, group=f"{group}:{rate_name}", key=lambda _g, _r: value, rate=rate, increment=True
    )
    if usage and usage["should_limit"]:
        rate_limited.send(sender=enforce, scope=group, key=rate_name, request=request)
        raise RateLimited(usage["time_left"])


@contextmanager
def limit_failures(request: HttpRequest, *, group: str, rate_name: str, ceiling: str) -> Iterator[None]:
    """For attempts where only failures are suspect (guessing a join code): while this IP's
    failures (the body raising) have used up `rate_name`, refuse with 429; successes only
    count against the loose `ceiling` rate (as every attempt does). A failure that crosses
    the limit is itself answered 429, so parallel guesses learn nothing past it."""
    if not settings.RATELIMIT_ENABLE:
        yield
        return
    value = client_ip(request)

    def check(name: str, rate: str, *, increment: bool, used_up: bool) -> None:
        usage = get_usage(request, group=f"{group}:{name}", key=lambda _g, _r: value, rate=rate, increment=increment)
        if usage and (usage["should_limit"] or (used_up and usage["count"] >= usage["limit"])):
            rate_limited.send(sender=enforce, scope=group, key=name, request=request)
            raise RateLimited(usage["time_left"])

    failures = settings.RATELIMITS[rate_name]
    check("ceiling", ceiling, increment=True, used_up=False)
    check(rate_name, failures, increment=False, used_up=True)
    try:
        yield
    except Exception:
        check(rate_name, failures, increment=True, used_up=False)
        raise
