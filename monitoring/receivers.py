"""Signal receivers: runs, rejections, sandbox failures, rate limits, logins and
WebSocket connections become metrics, audit entries, error-list entries and dashboard
pushes.

A receiver runs inside the sender (often a run on the event loop): it never raises and
never blocks; database work goes through :func:`monitoring.broadcast.off_loop`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.core.cache import cache

from monitoring import connections
from monitoring.broadcast import notify_dashboards, off_loop
from monitoring.conf import conf
from monitoring.metrics import (
    RATE_LIMITED,
    RUNS_QUEUED,
    RUNS_REJECTED,
    RUNS_STARTED,
    SANDBOX_ERRORS,
    WEBSOCKETS_OPENED,
    language_label,
    observe_key_run_finished,
    observe_run_finished,
    short_label,
)
from monitoring.services import Actor, actor_of, audit_record, error_record

logger = logging.getLogger("observer.monitoring")

Receiver = Callable[..., None]


def never_raises(receiver: Receiver) -> Receiver:
    @functools.wraps(receiver)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            receiver(*args, **kwargs)
        except Exception:  # monitoring must never break the run or request it watches
            logger.exception("monitoring receiver %s failed", receiver.__name__)

    return wrapper


@never_raises
def on_run_queued(sender: Any, *, language: str, **kwargs: Any) -> None:
    RUNS_QUEUED.labels(language=language_label(language)).inc()
    notify_dashboards("run.queued")


@never_raises
def on_run_started(sender: Any, *, execution: Any, **kwargs: Any) -> None:
    RUNS_STARTED.labels(language=language_label(execution.language)).inc()
    notify_dashboards("run.started")


@never_raises
def on_run_finished(sender: Any, *, execution: Any, **kwargs: Any) -> None:
    observe_run_finished(execution)
    if getattr(execution, "api_key_id", None) is not None:
        off_loop(observe_key_run_finished, execution_id=execution.pk)
    notify_dashboards("run.finished")


@never_raises
def on_run_rejected(sender: Any, *, language: str, reason: str, **kwargs: Any) -> None:
    RUNS_REJECTED.labels(language=language_label(language), reason=short_label(reason)).inc()
    if reason == "rate":
        RATE_LIMITED.labels(scope="run", limit="runs_per_window").inc()
        principal = actor_of(kwargs.get("principal") or kwargs.get("user"))
        off_loop(
            record_lockout, scope="run", limit="runs_per_window", principal=principal,
            who=_who(principal=principal, participant_id=kwargs.get("participant_id")),
        )  # fmt: skip


@never_raises
def on_sandbox_failed(sender: Any, *, language: str, message: str, **kwargs: Any) -> None:
    SANDBOX_ERRORS.labels(language=language_label(language)).inc()
    off_loop(error_record, source="sandbox", message=f"{language}: {message}", details={"language": language})
    notify_dashboards("sandbox.failed")


@never_raises
def on_rate_limited(sender: Any, *, scope: str, key: str, **kwargs: Any) -> None:
    RATE_LIMITED.labels(scope=short_label(scope), limit=short_label(key)).inc()
    request = kwargs.get("request")
    principal = actor_of(kwargs.get("principal") or getattr(request, "user", None))
    off_loop(
        record_lockout, scope=str(scope), limit=str(key), principal=principal, request=request,
        who=_who(principal=principal, request=request, fallback=kwargs.get("value")),
    )  # fmt: skip


@never_raises
def on_user_logged_in(sender: Any, *, user: Actor, request: Any = None, **kwargs: Any) -> None:
    """Every login through django.contrib.auth's login() (the Django admin's among them)."""
    off_loop(audit_record, action="auth.login", actor=user, request=request)


@never_raises
def on_user_login_failed(sender: Any, *, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    """Every failed authenticate(): the admin's login form and the API login view alike
    (the view's own entry for the same request is not stored twice, see audit_record)."""
    off_loop(
        audit_record, action="auth.login_failed", request=request,
        details={"username": str(credentials.get("username", ""))[:150]},
    )  # fmt: skip


def never_raises_async(receiver: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    @functools.wraps(receiver)
    async def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            await receiver(*args, **kwargs)
        except Exception:
            logger.exception("monitoring receiver %s failed", receiver.__name__)

    return wrapper


# Async, because consumers send these with `asend` on the event loop, where the
# connection registry's publisher lives.
@never_raises_async
async def on_websocket_connected(sender: Any, *, kind: str, **kwargs: Any) -> None:
    kind = short_label(kind)
    connections.opened(kind)
    WEBSOCKETS_OPENED.labels(kind=kind).inc()
    notify_dashboards("websocket.connected")


@never_raises_async
async def on_websocket_disconnected(sender: Any, *, kind: str, **kwargs: Any) -> None:
    connections.closed(short_label(kind))
    notify_dashboards("websocket.disconnected")


def _who(
    *, principal: Actor | None = None, request: Any = None, participant_id: Any = None, fallback: Any = None
) -> str:
    if principal is not None:
        return principal.username or str(principal)
    if participant_id:
        return f"participant:{participant_id}"
    if request is not None:
        from observer.ratelimits import client_ip

        return f"ip:{client_ip(getattr(request, '_request', request))}"
    return str(fallback or "unknown")


def record_lockout(*, scope: str, limit: str, who: str, principal: Actor | None = None, request: Any = None) -> None:
    """One audit entry per lockout: repeated refusals of the same (scope, limit, who) within
    MONITORING_LOCKOUT_AUDIT_SECONDS are the same lockout, not a flood of entries."""
    key = f"monitoring:lockout:{scope}:{limit}:{who}"[:240]
    if not cache.add(key, 1, timeout=int(conf("MONITORING_LOCKOUT_AUDIT_SECONDS"))):
        return
    audit_record(
        action="ratelimit.lockout", actor=principal, request=request,
        details={"scope": scope, "limit": limit, "who": who},
    )  # fmt: skip


def connect() -> None:
    """Called once from MonitoringConfig.ready()."""
    from django.contrib.auth import signals as auth_signals

    from coding import signals as coding_signals
    from observer import signals as observer_signals

    uid = "monitoring."
    coding_signals.run_queued.connect(on_run_queued, dispatch_uid=uid + "run_queued")
    coding_signals.run_started.connect(on_run_started, dispatch_uid=uid + "run_started")
    coding_signals.run_finished.connect(on_run_finished, dispatch_uid=uid + "run_finished")
    coding_signals.run_rejected.connect(on_run_rejected, dispatch_uid=uid + "run_rejected")
    coding_signals.sandbox_failed.connect(on_sandbox_failed, dispatch_uid=uid + "sandbox_failed")
    observer_signals.rate_limited.connect(on_rate_limited, dispatch_uid=uid + "rate_limited")
    observer_signals.websocket_connected.connect(on_websocket_connected, dispatch_uid=uid + "ws_connected")
    observer_signals.websocket_disconnected.connect(on_websocket_disconnected, dispatch_uid=uid + "ws_disconnected")
    auth_signals.user_logged_in.connect(on_user_logged_in, dispatch_uid=uid + "user_logged_in")
    auth_signals.user_login_failed.connect(on_user_login_failed, dispatch_uid=uid + "user_login_failed")
