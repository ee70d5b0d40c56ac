"""Fixed-window attempt limits (django-ratelimit's counters) raising the 429 shape."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from observer.errors import RateLimited
from observer.signals import rate_limited


def client_ip(source: Any) -> str:
    """The client's address, from an HttpRequest, a DRF Request or an ASGI scope (WebSocket).

    The TCP peer, unless TRUST_X_FORWARDED_FOR is set (behind nginx, which overwrites the
    header with `$remote_addr`): then the header's last hop, the one our proxy wrote;
    anything before it was sent by the client and is never believed. "unknown" when
    neither is an IP address (a Unix socket).
    """
    peer, forwarded = _peer_and_forwarded(getattr(source, "_request", source))
    if forwarded and settings.TRUST_X_FORWARDED_FOR:
        hop = _normal_ip(forwarded.rsplit(",", 1)[-1])
        if hop:
            return hop
    return _normal_ip(peer) or "unknown"


def client_key(source: Any) -> str:
    """The address rate limits count: IPv6 clients by their /64, which one subscriber holds
    whole (counting single addresses would give every rotated address a fresh allowance)."""
    ip = client_ip(source)
    if ":" not in ip:
        return ip
    return str(ipaddress.IPv6Network((ip, 64), strict=False))


def _peer_and_forwarded(source: Any) -> tuple[str, str]:
    if isinstance(source, dict):  # an ASGI scope
        client = source.get("client") or ("", 0)
        hops = [value.decode("latin-1") for name, value in source.get("headers") or [] if name == b"x-forwarded-for"]
        return str(client[0] or ""), ",".join(hops)
    meta = source.META
    return str(meta.get("REMOTE_ADDR") or ""), str(meta.get("HTTP_X_FORWARDED_FOR") or "")


def _normal_ip(text: str) -> str:
    """`text` as a canonical IP address (IPv4-mapped IPv6 as IPv4, no zone), or "" if none."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]").split("%")[0])
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def enforce(request: HttpRequest, *, group: str, rate_name: str, key_value: str | None = None) -> None:
    """Count one attempt for `group` keyed by IP (or by `key_value`); raise 429 past the rate."""
    if not settings.RATELIMIT_ENABLE:
        return
    rate = settings.RATELIMITS[rate_name]
    value = key_value if key_value is not None else client_key(request)
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
    value = client_key(request)

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
