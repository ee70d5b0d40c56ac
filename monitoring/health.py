"""Health checks: each dependency with its latency and healthy / degraded / unhealthy.

The database is checked over a connection of its own (opened and closed for the
check), so the answer says whether a new request could reach it, not whether an old
pooled connection is still open. Every check has a time limit; past it the dependency
is unhealthy.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.db.utils import ConnectionHandler
from django.utils import timezone

from monitoring import resources
from monitoring.conf import conf
from monitoring.resources import DEGRADED, HEALTHY, UNHEALTHY

logger = logging.getLogger("observer.monitoring")


@dataclasses.dataclass
class CheckResult:
    name: str
    status: str
    latency_ms: float | None
    message: str = ""
    details: dict[str, Any] = dataclasses.field(default_factory=dict)


class CheckFailed(Exception):
    """A dependency answered, but wrongly."""


class CheckDegraded(Exception):
    """A dependency works, but below what it should be."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.message, self.details = message, details


def database_settings() -> dict[str, Any]:
    """The default database's connection settings (tests point a copy at a closed port)."""
    return dict(connections["default"].settings_dict)


def check_database() -> dict[str, Any]:
    settings_dict = database_settings()
    if "postgresql" in settings_dict["ENGINE"]:  # a host that never answers must not hang /health
        timeout = max(1, int(float(conf("MONITORING_CHECK_TIMEOUT_SECONDS"))))
        settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "connect_timeout": timeout}
    handler = ConnectionHandler({"default": settings_dict})
    connection = handler["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone()[0] != 1:
                raise CheckFailed("SELECT 1 did not answer 1")
    finally:
        connection.close()
    return {"vendor": connection.vendor}


def check_cache() -> dict[str, Any]:
    cache = caches["default"]
    key, token = f"monitoring:health:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, token, 30)
    try:
        if cache.get(key) != token:
            raise CheckFailed("a value written to the cache could not be read back")
    finally:
        cache.delete(key)
    return {"backend": type(cache).__name__}


async def check_redis() -> dict[str, Any]:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return {}


async def check_channel_layer() -> dict[str, Any]:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        raise CheckFailed("no channel layer is configured")
    channel = await layer.new_channel("health.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.ping", "token": token})
    message = await layer.receive(channel)
    # Channels have no "delete": a receive that is cancelled is how a layer lets one go
    # (the Redis pub/sub layer unsubscribes), so each check does not leave one behind.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), timeout=0.01)
    if message.get("token") != token:
        raise CheckFailed("the channel layer delivered another message")
    return {"backend": type(layer).__name__}


async def check_sandbox() -> dict[str, Any]:
    from coding.languages import get_language
    from coding.runner import backend_status, run_batch

    status = await sync_to_async(backend_status, thread_sensitive=False)()
    details = {k: status.get(k) for k in ("backend", "cgroup_mode")}
    # Which defences the backend applies on this host (seccomp, user namespaces, uid per
    # run, masks, quotas): one it cannot apply makes the check degraded, never silent.
    listed = status.get("protections")
    protections: list[dict[str, str]] = listed if isinstance(listed, list) else []
    details["protections"] = protections
    degraded = [p["name"] for p in protections if p.get("state") == "degraded"]
    if not status.get("available"):
        raise CheckFailed(str(status.get("message") or "the sandbox backend is not available"), details)
    language = get_language(str(conf("MONITORING_SANDBOX_CHECK_LANGUAGE")))
    result = await run_batch(language=language.name, files=[(language.entry_name, language.hello)])
    output = result.stdout.decode("utf-8", "replace")
    details["language"] = language.name
    if str(result.status) != "ok" or "Hello" not in output:
        raise CheckFailed(f"hello-world ended {result.status}: {result.message or output[:200]}", details)
    details["run_wall_ms"] = result.wall_ms
    if details["cgroup_mode"] == "none" and status.get("backend") != "fake":
        # Runs work, but memory and process limits are only rlimits (weaker, per uid).
        raise CheckDegraded(str(status.get("message") or "no cgroups: rlimits only"), details)
    if degraded:
        raise CheckDegraded(f"sandbox protections degraded on this host: {', '.join(degraded)}", details)
    return details


def _in_thread(fn: Callable[[], dict[str, Any]]) -> Callable[[], Awaitable[dict[str, Any]]]:
    # A thread of its own, not the thread-sensitive one requests share: a hung check
    # must not hold up the view that waits for it.
    return sync_to_async(fn, thread_sensitive=False)


def dependency_checks() -> list[tuple[str, Callable[[], Awaitable[dict[str, Any]]]]]:
    checks = [("database", _in_thread(check_database))]
    if getattr(settings, "REDIS_URL", ""):
        checks.append(("redis", check_redis))
    checks += [
        ("channel_layer", check_channel_layer),
        ("cache", _in_thread(check_cache)),
        ("sandbox", check_sandbox),
    ]
    return checks


async def _run(name: str, check: Callable[[], Awaitable[dict[str, Any]]]) -> CheckResult:
    timeout = float(conf("MONITORING_CHECK_TIMEOUT_SECONDS"))
    started = time.perf_counter()
    try:
        details = await asyncio.wait_for(check(), timeout=timeout)
    except TimeoutError:
        return CheckResult(name, UNHEALTHY, None, f"no answer within {timeout:g} s")
    except CheckDegraded as exc:
        return CheckResult(name, DEGRADED, _ms(started), exc.message[:500], exc.details)
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency is its health
        logger.warning("health check %s failed: %s", name, exc)
        extra = exc.args[1] if isinstance(exc, CheckFailed) and len(exc.args) > 1 else {}
        message = str(exc.args[0]) if isinstance(exc, CheckFailed) and exc.args else f"{type(exc).__name__}: {exc}"
        return CheckResult(name, UNHEALTHY, _ms(started), message[:500], extra)
    latency = _ms(started)
    slow = latency > float(conf("MONITORING_SLOW_CHECK_MS"))
    return CheckResult(name, DEGRADED if slow else HEALTHY, latency, "slow to answer" if slow else "ok", details)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def resource_checks() -> list[CheckResult]:
    readings = resources.system_resources()
    cpu, memory = readings["cpu"], readings["memory"]
    checks = [
        CheckResult("cpu", cpu["status"], None, f"{cpu['percent']:.0f}% used", {"percent": cpu["percent"]}),
        CheckResult("memory", memory["status"], None, f"{memory['percent']:.0f}% used",
                    {"percent": memory["percent"]}),
    ]
    for disk in readings["disks"]:
        checks.append(
            CheckResult(f"disk:{disk['path']}", disk["status"], None, f"{disk['percent']:.0f}% used",
                        {"path": disk["path"], "percent": disk["percent"], "free": disk["free"]})
        )
    return checks


async def full_report() -> dict[str, Any]:
    """Every dependency, checked concurrently, then CPU, memory and disks."""
    results = list(await asyncio.gather(*(_run(name, check) for name, check in dependency_checks())))
    results += await sync_to_async(resource_checks, thread_sensitive=False)()
    return {
        "status": resources.worst([r.status for r in results]),
        "checked_at": timezone.now().isoformat(),
        "checks": [dataclasses.asdict(r) for r in results],
    }


# What /health needs to say "ok": everything a request or a live connection relies on.
# Not the sandbox hello-world (too costly for a probe nginx or systemd sends every few
# seconds) nor CPU/memory/disk (a busy server is still up): those are in full_report.
PUBLIC_CHECKS = ("database", "redis", "channel_layer", "cache")


async def is_alive() -> bool:
    """The public /health answer: can this process reach its database, cache, Redis and
    channel layer (without which live editing and run output stop)? Slow is still alive."""
    checks = [(name, check) for name, check in dependency_checks() if name in PUBLIC_CHECKS]
    results = await asyncio.gather(*(_run(name, check) for name, check in checks))
    failed = [r for r in results if r.status == UNHEALTHY]
    for result in failed:
        logger.warning("health: %s is unhealthy: %s", result.name, result.message)
    return not failed
