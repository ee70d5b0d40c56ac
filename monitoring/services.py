"""Writes for monitoring: the audit log and the error list."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import Any, cast

from django.db.models import Q

from monitoring.conf import conf
from monitoring.models import AuditEvent, ErrorEvent
from observer.audit import Actor
from observer.logs import request_id_of

logger = logging.getLogger("observer.audit")


def actor_of(value: object) -> Actor | None:
    """The actor behind an untyped value (a signal's `principal` or `request.user`):
    None for nobody and for AnonymousUser."""
    return cast(Actor, value) if getattr(value, "is_authenticated", False) else None

# Actions one request can cause only once. A failed API login is seen twice: by the
# user_login_failed receiver (django.contrib.auth.authenticate sends it) and by the
# login view, which records its own; the second is the same event, not another one.
ONCE_PER_REQUEST = frozenset({"auth.login", "auth.login_failed"})
_RECORDED_ATTR = "_observer_audited"


def _ip_of(request: Any) -> str | None:
    if request is None:
        return None
    from observer.ratelimits import client_ip

    ip = client_ip(getattr(request, "_request", request))
    return ip if ip and ip != "unknown" else None


def audit_record(
    *,
    action: str,
    actor: Actor | None = None,
    target: Any = None,
    request: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Store one audit event; a guest actor is known by its label (it has no user row)."""
    http_request = getattr(request, "_request", request)
    recorded: dict[str, AuditEvent] | None = None
    if request is not None and action in ONCE_PER_REQUEST:
        recorded = getattr(http_request, _RECORDED_ATTR, None)
        if recorded is None:
            recorded = {}
            setattr(http_request, _RECORDED_ATTR, recorded)
        if action in recorded:
            return recorded[action]
    event = AuditEvent.objects.create(
        actor_id=actor.pk if actor is not None and not actor.is_guest else None,
        actor_label=(actor.username if actor is not None else "")[:200],
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "pk", "") or "")[:64],
        target_label=str(target)[:200] if target is not None else "",
        ip=_ip_of(request),
        details=details or {},
    )
    logger.info("audit %s actor=%s target=%s", action, event.actor_label, event.target_label)
    if recorded is not None:
        recorded[action] = event
    return event


def error_record(*, source: str, exc: BaseException | None = None, message: str = "", request: Any = None,
                 details: dict[str, Any] | None = None) -> ErrorEvent | None:
    """Store an error for the operator, keeping only the newest MONITORING_ERROR_LIST_MAX_ROWS;
    never raises (it runs inside error handling)."""
    try:
        event = ErrorEvent.objects.create(
            source=source,
            kind=type(exc).__name__ if exc is not None else source,
            message=(message or (str(exc) if exc is not None else ""))[:4000],
            path=str(getattr(request, "path", "") or "")[:500],
            details={
                **(details or {}),
                # nginx's X-Request-ID: the same id as the request's log lines (observer/logs.py)
                **({"request_id": request_id} if (request_id := request_id_of(request)) else {}),
                **({"traceback": "".join(traceback.format_exception(exc))[-8000:]} if exc is not None else {}),
            },
        )
    except Exception:  # the database may be the thing that failed
        logger.exception("could not record error")
        return None
    try:
        error_list_trim()
    except Exception:  # the error is stored; trimming waits for the next one
        logger.exception("could not trim the error list")
    return event


def error_list_trim() -> int:
    """Delete all but the newest MONITORING_ERROR_LIST_MAX_ROWS errors, so a storm of
    failures cannot fill the disk before retention catches up. Cheap enough to run on
    every insert: one primary-key index probe, and a delete only when over the cap."""
    keep = max(1, int(conf("MONITORING_ERROR_LIST_MAX_ROWS")))
    oldest_dropped = list(ErrorEvent.objects.order_by("-pk").values_list("pk", flat=True)[keep : keep + 1])
    if not oldest_dropped:
        return 0
    return int(ErrorEvent.objects.filter(pk__lte=oldest_dropped[0]).delete()[0])


def history_prune(*, now: Any = None) -> dict[str, int]:
    """Delete execution rows, audit entries and errors older than their retention (and
    errors past the error list's cap)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from coding.models import Execution

    now = now or timezone.now()
    retention = settings.RETENTION_DAYS
    removed = {
        "executions": Execution.objects.filter(
            created_at__lt=now - timedelta(days=retention["executions"])
        ).delete()[0],
        "audit_events": AuditEvent.objects.filter(created_at__lt=now - timedelta(days=retention["audit"])).delete()[0],
        "errors": ErrorEvent.objects.filter(created_at__lt=now - timedelta(days=retention["errors"])).delete()[0]
        + error_list_trim(),
    }
    return removed


GUEST_GONE = "(deleted guest)"


def audit_labels_forget(*, participant_ids: Sequence[Any], document_ids: Sequence[Any]) -> int:
    """The audit log outlives guests (AUDIT_RETENTION_DAYS); their names (a participant's
    label) and file names must not. The entries stay, with the ids."""
    about = Q(target_type="Participant", target_id__in=[str(pk) for pk in participant_ids]) | Q(
        target_type="Document", target_id__in=[str(pk) for pk in document_ids]
    )
    return AuditEvent.objects.filter(about).exclude(target_label=GUEST_GONE).update(target_label=GUEST_GONE)
