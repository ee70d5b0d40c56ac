"""Webhooks: a durable queue of callbacks (WebhookDelivery rows), delivered with retries
and backoff for a day, signed, and never to an address inside the server's network.

Signature (docs/judge0.md, "Callbacks"): `X-Observer-Timestamp: <unix seconds>` and
`X-Observer-Signature: sha256=<hex HMAC-SHA256(key's webhook secret, "<timestamp>.<body>")>`.
A receiver recomputes it and refuses timestamps older than its replay window.

No SSRF through a callback: the URL is checked when it is given (a 422) and again at
each delivery, every address its host resolves to must be public (not loopback,
private, link-local, the cloud metadata address, multicast or reserved) unless
WEBHOOK_ALLOW_PRIVATE is set, the connection goes to the address that was checked
(a DNS answer cannot change between check and connect), and redirects are not followed.

A delivery is tried at once by the run that made it (off the event loop, in a thread).
Later tries come from every server process's periodic job (`deliver_due` every
WEBHOOK_DELIVERY_SECONDS, observer.periodic), from a sweeper task started when a try
fails, and from `manage.py deliver_webhooks` (run each minute by
deploy/observer-webhooks.timer: it delivers while no server runs), whichever comes
first; a try is leased to the one that claimed it (`deliver`), the others skip it.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import http.client
import ipaddress
import logging
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from integrations.models import ApiKey, WebhookDelivery

logger = logging.getLogger("observer.webhooks")

GIVE_UP_AFTER = datetime.timedelta(days=1)
TIMEOUT_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 3600
USER_AGENT = "Observer-Webhooks/1"
SWEEP_SECONDS = 10.0
# A claimed try is out of other processes' reach this long: more than a try can take
# (connect, send, read: TIMEOUT_SECONDS each).
LEASE_SECONDS = 5 * TIMEOUT_SECONDS


class UnsafeUrl(ValueError):
    """A callback URL the server will not call; the message says why, for people."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address the connection goes to


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False))


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_url(url: str, *, resolve: bool = True) -> Target:
    """The URL's target, or UnsafeUrl."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("must be an http or https URL")
    if parts.username or parts.password:
        raise UnsafeUrl("must not hold credentials")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if not resolve:
            return Target(parts.scheme, host, port, path, "")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise UnsafeUrl(f"host {host!r} cannot be resolved") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeUrl(f"host {host!r} cannot be resolved")
    if not _allow_private():
        for address in addresses:
            if not _public(address):
                raise UnsafeUrl(f"points at a non-public address ({address}): loopback, private, link-local "
                                "and metadata addresses are refused")
    return Target(parts.scheme, host, port, path, str(addresses[0]))


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(*, secret: str, timestamp: str, body: bytes, signature: str, window_seconds: int = 300,
           now: float | None = None) -> bool:
    """What a receiver does (and the docs show): a fresh timestamp and a matching signature."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - sent) > window_seconds:
        return False
    return hmac.compare_digest(sign(secret=secret, timestamp=sent, body=body), signature)


def enqueue(*, event: str, url: str, body: str, api_key: ApiKey | None, method: str = "PUT") -> WebhookDelivery:
    return WebhookDelivery.objects.create(event=event, url=url, body=body, api_key=api_key, method=method)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _send(delivery: WebhookDelivery, secret: str) -> int:
    target = check_url(delivery.url)
    body = delivery.body.encode("utf-8")
    timestamp = int(time.time())
    connection = _PinnedHTTPS(target) if target.scheme == "https" else _PinnedHTTP(target)
    try:
        connection.request(delivery.method, target.path, body=body, headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Observer-Event": delivery.event,
            "X-Observer-Delivery": str(delivery.pk),
            "X-Observer-Timestamp": str(timestamp),
            "X-Observer-Signature": sign(secret=secret, timestamp=timestamp, body=body),
        })
        response = connection.getresponse()
        response.read(64 * 1024)
        return int(response.status)
    finally:
        connection.close()


def backoff_seconds(attempts: int) -> int:
    return int(min(MAX_BACKOFF_SECONDS, 10 * 2 ** max(0, attempts - 1)))


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """One try of one pending delivery (if it is due); a 2xx delivers it, anything else
    (a redirect too) schedules the next try, or gives up after a day.

    The try is leased: a conditional update (the attempt count it read, on any database)
    lets exactly one process claim it and moves it out of every other's reach for
    LEASE_SECONDS, longer than a try can take; None when it was not due or another
    process holds it."""
    now = timezone.now()
    delivery = (WebhookDelivery.objects.select_related("api_key")
                .filter(pk=delivery_id, state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now).first())
    if delivery is None:
        return None
    lease_until = now + datetime.timedelta(seconds=LEASE_SECONDS)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=WebhookDelivery.State.PENDING, attempts=delivery.attempts,
    ).update(attempts=delivery.attempts + 1, next_attempt_at=lease_until)
    if not claimed:
        return None
    delivery.attempts += 1
    secret = delivery.api_key.webhook_secret if delivery.api_key is not None else ""
    status: int | None = None
    try:
        status = _send(delivery, secret)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except UnsafeUrl as exc:
        error = f"unsafe URL: {exc}"
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    delivery.last_status, delivery.last_error = status, error
    delivery.next_attempt_at = timezone.now() + datetime.timedelta(seconds=backoff_seconds(delivery.attempts))
    if not error:
        delivery.state, delivery.delivered_at = WebhookDelivery.State.DELIVERED, timezone.now()
    elif error.startswith("unsafe URL") or timezone.now() - delivery.created_at >= GIVE_UP_AFTER:
        delivery.state = WebhookDelivery.State.FAILED
    delivery.save(update_fields=["last_status", "last_error", "state", "delivered_at", "next_attempt_at"])
    if error:
        logger.info("webhook %s to %s failed (try %s): %s", delivery.pk, delivery.url, delivery.attempts, error)
    return delivery


def delivery_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_DELIVERY_SECONDS", SWEEP_SECONDS))


def deliveries_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete delivered and failed deliveries older than WEBHOOK_RETENTION_DAYS (the
    cleanup command); pending ones stay until they end."""
    now = now or timezone.now()
    days = int(settings.RETENTION_DAYS.get("webhooks", 14))
    return WebhookDelivery.objects.filter(
        state__in=[WebhookDelivery.State.DELIVERED, WebhookDelivery.State.FAILED],
        created_at__lt=now - datetime.timedelta(days=days),
    ).delete()[0]


def deliver_due(*, limit: int = 100) -> int:
    """Every pending delivery that is due (the periodic task); returns how many were tried."""
    due = list(WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    return sum(1 for pk in due if deliver(pk) is not None)


def pending_count() -> int:
    return WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING).count()


_sweeper: asyncio.Task[None] | None = None


async def _sweep() -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        await sync_to_async(deliver_due, thread_sensitive=False)()
        if not await sync_to_async(pending_count, thread_sensitive=False)():
            return


def ensure_sweeper() -> None:
    """From the server's loop: retry pending deliveries in this process until none is left."""
    global _sweeper
    if _sweeper is None or _sweeper.done():
        _sweeper = asyncio.get_running_loop().create_task(_sweep())
