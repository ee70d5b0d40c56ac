"""Reads for monitoring: live counts, dashboard figures, history and statistics.

Every figure is computed from the records (Execution, ClassSession, Participant,
ErrorEvent, AuditEvent) or the cross-process connection registry, never from one
process's memory.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncHour, TruncMinute
from django.utils import timezone

from coding.models import FINISHED_STATUSES, Execution
from monitoring import resources
from monitoring.conf import conf
from monitoring.connections import connection_counts
from monitoring.models import AuditEvent, ErrorEvent

# Run-time distribution buckets (upper bounds, ms); the last bucket is open-ended.
DURATION_BUCKETS_MS = (100, 250, 500, 1000, 2500, 5000, 10_000, 30_000)
# period name -> (length, bucket size)
PERIODS: dict[str, tuple[timedelta, str]] = {
    "hour": (timedelta(hours=1), "minute"),
    "day": (timedelta(days=1), "hour"),
    "week": (timedelta(days=7), "hour"),
}
_FINISHED = Q(status__in=FINISHED_STATUSES)
_OK = Q(status="ok")
_FAILED = _FINISHED & ~_OK


def queued_runs() -> int:
    """Runs waiting for a run slot. The queue lives where enforcement keeps it
    (coding.limits: Redis with REDIS_URL, else this process), not in Execution rows,
    which are written only once a run starts."""
    from coding import limits

    return limits.queue_length()


def live_counts(*, now: datetime | None = None) -> dict[str, int]:
    """Runs executing and queued, live sessions and their participants."""
    from sessions.models import ClassSession, Participant, SessionState

    now = now or timezone.now()
    fresh = now - timedelta(seconds=int(conf("MONITORING_STALE_RUN_SECONDS")))
    active = Execution.objects.filter(status="running", created_at__gte=fresh).count()
    participants = Participant.objects.filter(session__state=SessionState.LIVE, removed_at__isnull=True).aggregate(
        joined=Count("id"), online=Count("id", filter=Q(connections__gt=0))
    )
    return {
        "active_runs": active,
        "queued_runs": queued_runs(),
        "live_sessions": ClassSession.objects.filter(state=SessionState.LIVE).count(),
        "participants_joined": participants["joined"],
        "participants_online": participants["online"],
    }


def percentile_wall_ms(runs: QuerySet[Execution], *, count: int, fraction: float) -> int | None:
    """The nearest-rank percentile of wall time over `count` finished runs with a wall time."""
    if count <= 0:
        return None
    index = max(0, math.ceil(fraction * count) - 1)
    value = runs.filter(wall_ms__isnull=False).order_by("wall_ms").values_list("wall_ms", flat=True)[index]
    return int(value or 0)


def peak_concurrency(*, since: datetime, now: datetime) -> int:
    """The most runs executing at the same moment between `since` and `now`."""
    fresh = now - timedelta(seconds=int(conf("MONITORING_STALE_RUN_SECONDS")))
    spans = Execution.objects.filter(started_at__isnull=False, started_at__lte=now).filter(
        Q(finished_at__gte=since) | Q(finished_at__isnull=True, status="running", created_at__gte=fresh)
    )
    events: list[tuple[datetime, int]] = []
    for started, finished in spans.values_list("started_at", "finished_at"):
        if started is None:
            continue
        events.append((max(started, since), 1))
        events.append((finished or now, -1))
    events.sort(key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    peak = running = 0
    for _at, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def run_summary(runs: QuerySet[Execution]) -> dict[str, Any]:
    """Totals, success rate, average and p95 wall time of a set of runs (two queries)."""
    agg = runs.aggregate(
        total=Count("id"),
        finished=Count("id", filter=_FINISHED),
        ok=Count("id", filter=_OK),
        timed=Count("id", filter=_FINISHED & Q(wall_ms__isnull=False)),
        avg_wall_ms=Avg("wall_ms", filter=_FINISHED),
    )
    finished = agg["finished"]
    return {
        "total": agg["total"],
        "finished": finished,
        "ok": agg["ok"],
        "failed": finished - agg["ok"],
        "success_rate": round(agg["ok"] / finished, 4) if finished else None,
        "avg_wall_ms": round(agg["avg_wall_ms"]) if agg["avg_wall_ms"] is not None else None,
        "p95_wall_ms": percentile_wall_ms(runs.filter(_FINISHED), count=agg["timed"], fraction=0.95),
    }


def current_figures(*, now: datetime | None = None) -> dict[str, Any]:
    """What the dashboard shows at the top and pushes live: now and over the last window."""
    now = now or timezone.now()
    window = int(conf("MONITORING_FIGURES_WINDOW_SECONDS"))
    since = now - timedelta(seconds=window)
    counts = live_counts(now=now)
    summary = run_summary(Execution.objects.filter(created_at__gte=since))
    by_kind = connection_counts()
    return {
        "at": now.isoformat(),
        "window_seconds": window,
        "active_runs": counts["active_runs"],
        "queued_runs": counts["queued_runs"],
        "live_sessions": counts["live_sessions"],
        "participants": {"joined": counts["participants_joined"], "online": counts["participants_online"]},
        "connections": {"total": sum(by_kind.values()), "by_kind": by_kind},
        "runs": summary["total"],
        "runs_finished": summary["finished"],
        "runs_ok": summary["ok"],
        "runs_failed": summary["failed"],
        "success_rate": summary["success_rate"],
        "avg_wall_ms": summary["avg_wall_ms"],
        "p95_wall_ms": summary["p95_wall_ms"],
        "peak_concurrency": peak_concurrency(since=since, now=now),
        "errors": ErrorEvent.objects.filter(created_at__gte=since).count(),
        "system": resources.headline(),
    }


def execution_list(
    *,
    language: str | None = None,
    status: str | None = None,
    session_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Execution]:
    runs = Execution.objects.select_related("session", "participant", "user").order_by("-created_at", "-id")
    filters = {
        "language": language,
        "status": status,
        "session_id": session_id,
        "user_id": user_id,
        "participant_id": participant_id,
        "created_at__gte": since,
        "created_at__lt": until,
    }
    return runs.filter(**{key: value for key, value in filters.items() if value is not None})


def _bucket_starts(since: datetime, now: datetime, size: str) -> list[datetime]:
    step = timedelta(minutes=1) if size == "minute" else timedelta(hours=1)
    start = since.astimezone(UTC).replace(second=0, microsecond=0)
    if size == "hour":
        start = start.replace(minute=0)
    starts = []
    while start <= now:
        starts.append(start)
        start += step
    return starts


def statistics(*, period: str, now: datetime | None = None) -> dict[str, Any]:
    """Runs over the last hour/day/week: totals, by status, language, session, over time, by duration."""
    now = now or timezone.now()
    length, size = PERIODS[period]
    since = now - length
    runs = Execution.objects.filter(created_at__gte=since)
    trunc = TruncMinute if size == "minute" else TruncHour
    timeline: dict[datetime, dict[str, int]] = {start: {} for start in _bucket_starts(since, now, size)}
    for row in runs.annotate(bucket=trunc("created_at", tzinfo=UTC)).values("bucket", "status").annotate(n=Count("id")):
        bucket = row["bucket"].astimezone(UTC)
        timeline.setdefault(bucket, {})[row["status"]] = row["n"]
    durations = runs.filter(_FINISHED, wall_ms__isnull=False).aggregate(
        **{f"le_{i}": Count("id", filter=_bucket_filter(i)) for i in range(len(DURATION_BUCKETS_MS) + 1)}
    )
    by_language = (
        runs.values("language")
        .annotate(total=Count("id"), ok=Count("id", filter=_OK), failed=Count("id", filter=_FAILED),
                  avg_wall_ms=Avg("wall_ms", filter=_FINISHED))
        .order_by("-total", "language")
    )
    by_session = (
        runs.filter(session__isnull=False)
        .values("session_id", "session__title")
        .annotate(total=Count("id"), ok=Count("id", filter=_OK), failed=Count("id", filter=_FAILED))
        .order_by("-total")[:20]
    )
    return {
        "period": period,
        "since": since.isoformat(),
        "until": now.isoformat(),
        "bucket": size,
        "totals": run_summary(runs),
        "by_status": [
            {"status": row["status"], "count": row["n"]}
            for row in runs.values("status").annotate(n=Count("id")).order_by("-n", "status")
        ],
        "by_language": [
            {**row, "avg_wall_ms": round(row["avg_wall_ms"]) if row["avg_wall_ms"] is not None else None}
            for row in by_language
        ],
        "by_session": [
            {"session_id": str(row["session_id"]), "title": row["session__title"], "total": row["total"],
             "ok": row["ok"], "failed": row["failed"]}
            for row in by_session
        ],
        "timeline": [{"start": start.isoformat(), "counts": counts} for start, counts in sorted(timeline.items())],
        "durations": [
            {"le_ms": DURATION_BUCKETS_MS[i] if i < len(DURATION_BUCKETS_MS) else None, "count": durations[f"le_{i}"]}
            for i in range(len(DURATION_BUCKETS_MS) + 1)
        ],
    }


def _bucket_filter(index: int) -> Q:
    low = DURATION_BUCKETS_MS[index - 1] if index > 0 else None
    high = DURATION_BUCKETS_MS[index] if index < len(DURATION_BUCKETS_MS) else None
    q = Q()
    if low is not None:
        q &= Q(wall_ms__gt=low)
    if high is not None:
        q &= Q(wall_ms__lte=high)
    return q


def error_list(*, source: str | None = None) -> QuerySet[ErrorEvent]:
    errors = ErrorEvent.objects.order_by("-created_at", "-id")
    return errors.filter(source=source) if source else errors


def audit_list(
    *,
    action: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if action:
        events = events.filter(action__startswith=action) if action.endswith(".") else events.filter(action=action)
    if actor:
        events = events.filter(actor_label=actor)
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lt=until)
    return events


def api_key_activity(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """The API keys used in the last day (a request or a run): their runs in the last
    hour and day, how many of those did not end `ok`, their webhooks that gave up in
    the day, and when each was last used. Never the secret: its visible prefix only.
    Three queries, whatever the number of keys."""
    from integrations.models import ApiKey, WebhookDelivery

    now = now or timezone.now()
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(days=1)
    runs: dict[uuid.UUID, dict[str, Any]] = {
        row["api_key"]: dict(row)
        for row in Execution.objects.filter(api_key__isnull=False, created_at__gte=day_ago)
        .values("api_key")
        .annotate(runs_last_hour=Count("pk", filter=Q(created_at__gte=hour_ago)), runs_last_day=Count("pk"),
                  failed_last_day=Count("pk", filter=_FAILED), last_run_at=Max("created_at"))
    }
    webhooks_failed = dict(
        WebhookDelivery.objects.filter(api_key__isnull=False, state=WebhookDelivery.State.FAILED,
                                       created_at__gte=day_ago)
        .values_list("api_key").annotate(n=Count("pk"))
    )
    keys = ApiKey.objects.filter(Q(pk__in=list(runs)) | Q(last_used_at__gte=day_ago)).select_related("owner")
    answer = []
    for key in keys:
        row = runs.get(key.pk, {})
        answer.append({
            "id": key.pk, "name": key.name, "prefix": key.prefix, "owner": key.owner.get_username(),
            "active": key.is_active, "last_used_at": key.last_used_at, "use_count": key.use_count,
            "runs_last_hour": row.get("runs_last_hour", 0), "runs_last_day": row.get("runs_last_day", 0),
            "failed_last_day": row.get("failed_last_day", 0), "last_run_at": row.get("last_run_at"),
            "webhooks_failed_last_day": webhooks_failed.get(key.pk, 0),
        })
    answer.sort(key=lambda k: (-k["runs_last_day"], k["name"]))
    return answer


def webhook_queue(*, now: datetime | None = None) -> dict[str, float]:
    """Pending webhook deliveries, and how long the most overdue one has been due (0 when
    none is): a healthy deployment delivers what is due within WEBHOOK_DELIVERY_SECONDS."""
    from integrations.models import WebhookDelivery

    now = now or timezone.now()
    pending = WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING).aggregate(
        count=Count("pk"), due=Min("next_attempt_at"))
    due = pending["due"]
    return {"pending": pending["count"], "overdue_seconds": max(0.0, (now - due).total_seconds()) if due else 0.0}
