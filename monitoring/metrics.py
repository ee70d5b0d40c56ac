"""Prometheus metrics, correct with several server processes.

Two kinds of figures, each collected where it is true:

- Events (runs started/finished, durations, queue waits, sandbox errors, rate-limit
  refusals, WebSocket connections opened, HTTP latency) are counters and histograms
  each process increments in memory. With ``PROMETHEUS_MULTIPROC_DIR`` set in the
  environment before the server starts, prometheus-client keeps them in one mmap file
  per process in that directory and a scrape of any process sums every file, so
  several server processes on a machine answer one consistent total (and a restarted
  process's counts are kept, so counters never go backwards). Without it (the
  one-process try-out) they live in the process's default registry.
- Current state (active runs, queue length, open WebSocket connections, live sessions
  and participants) is not kept in any process: it is computed at scrape time from the
  database and the cross-process connection registry (:mod:`monitoring.connections`),
  so it is the same whichever process answers. These gauges are deployment-wide: in
  Prometheus aggregate them with ``max``, not ``sum``, across machines.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger("observer.monitoring")

CONTENT_TYPE = CONTENT_TYPE_LATEST

RUNS_QUEUED = Counter("observer_runs_queued", "Runs that waited for a free run slot.", ["language"])
RUNS_STARTED = Counter("observer_runs_started", "Runs that started in the sandbox.", ["language"])
RUNS_FINISHED = Counter("observer_runs_finished", "Runs that ended, by final status.", ["language", "status"])
RUNS_REJECTED = Counter("observer_runs_rejected", "Runs refused before they started.", ["language", "reason"])
RUN_DURATION = Histogram(
    "observer_run_duration_seconds",
    "Wall time of finished runs (compile step included).",
    ["language"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
RUN_QUEUE_WAIT = Histogram(
    "observer_run_queue_wait_seconds",
    "How long runs waited for a free run slot.",
    ["language"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
SANDBOX_ERRORS = Counter("observer_sandbox_errors", "Runs the sandbox itself failed.", ["language"])
RATE_LIMITED = Counter("observer_rate_limited", "Attempts refused by a rate limit.", ["scope", "limit"])
WEBSOCKETS_OPENED = Counter("observer_websocket_connections_opened", "WebSocket connections accepted.", ["kind"])
# By the key's visible prefix and name (bounded by the keys there are), never its secret.
API_KEY_RUNS = Counter(
    "observer_api_key_runs", "Runs asked for by API keys, by key and final status.",
    ["key_prefix", "key_name", "status"],
)
HTTP_LATENCY = Histogram(
    "observer_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_KNOWN_STATUSES = frozenset(
    {
        "ok", "runtime-error", "compile-error", "timeout", "memory-limit", "output-limit",
        "killed", "sandbox-error", "rejected", "queued", "running",
    }
)


def language_label(language: object) -> str:
    """A bounded label value: a declared language or "other"."""
    from coding.languages import LANGUAGES

    name = str(language or "")
    return name if name in LANGUAGES else "other"


def status_label(status: object) -> str:
    name = str(status or "")
    return name if name in _KNOWN_STATUSES else "other"


def short_label(value: object, *, limit: int = 40) -> str:
    """Free-form label values (scope, reason, kind) cut short so a bug cannot explode cardinality."""
    return str(value or "unknown")[:limit]


def observe_run_finished(execution: Any) -> None:
    language = language_label(execution.language)
    RUNS_FINISHED.labels(language=language, status=status_label(execution.status)).inc()
    if execution.wall_ms is not None:
        RUN_DURATION.labels(language=language).observe(execution.wall_ms / 1000)
    RUN_QUEUE_WAIT.labels(language=language).observe((execution.queue_wait_ms or 0) / 1000)


def observe_key_run_finished(*, execution_id: Any) -> None:
    """Count a finished run of an API key under the key's prefix and name (blocking: a query)."""
    from coding.models import Execution

    row = (Execution.objects.filter(pk=execution_id, api_key__isnull=False)
           .values("status", "api_key__prefix", "api_key__name").first())
    if row is None:
        return
    API_KEY_RUNS.labels(key_prefix=short_label(row["api_key__prefix"]), key_name=short_label(row["api_key__name"]),
                        status=status_label(row["status"])).inc()


class LiveStateCollector:
    """Gauges computed at scrape time from the database and the connection registry."""

    def describe(self) -> list[Metric]:
        return []  # never collect at registration: that would query the database

    def collect(self) -> Iterator[Metric]:
        from monitoring.connections import connection_counts
        from monitoring.selectors import live_counts

        counts: dict[str, int] | None
        try:
            counts = live_counts()
        except Exception:  # a scrape must still answer when the database is down
            logger.exception("could not read live counts for /metrics")
            counts = None
        up = GaugeMetricFamily("observer_live_state_up", "1 if the live gauges could be read from the database.")
        up.add_metric([], 1 if counts is not None else 0)
        yield up
        if counts is not None:
            yield _gauge("observer_runs_active", "Runs executing now.", counts["active_runs"])
            yield _gauge("observer_run_queue_length", "Runs waiting for a run slot now.", counts["queued_runs"])
            yield _gauge("observer_live_sessions", "Sessions that are live now.", counts["live_sessions"])
            participants = GaugeMetricFamily(
                "observer_live_participants", "Participants of live sessions (joined, online now).", labels=["state"]
            )
            participants.add_metric(["joined"], counts["participants_joined"])
            participants.add_metric(["online"], counts["participants_online"])
            yield participants
        connections = GaugeMetricFamily(
            "observer_websocket_connections", "Open WebSocket connections, all processes.", labels=["kind"]
        )
        for kind, count in sorted(connection_counts().items()):
            connections.add_metric([kind], count)
        yield connections
        yield from _webhook_gauges()


def _webhook_gauges() -> Iterator[Metric]:
    """The durable webhook queue: how many deliveries wait, and how late the most overdue
    one is (a queue nobody delivers grows late: see integrations.webhooks)."""
    from monitoring.selectors import webhook_queue

    try:
        queue = webhook_queue()
    except Exception:  # a scrape must still answer when the database is down
        logger.exception("could not read the webhook queue for /metrics")
        return
    yield _gauge("observer_webhook_deliveries_pending", "Webhook deliveries waiting for a (next) try.",
                 queue["pending"])
    yield _gauge("observer_webhook_overdue_seconds", "How long the most overdue pending delivery has been due.",
                 queue["overdue_seconds"])


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or None


def scrape_registry(*, multiprocess_path: str | None = None) -> CollectorRegistry:
    """A registry for one scrape: every process's events plus the live gauges."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_path or multiprocess_dir()
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(REGISTRY)  # a registry is a collector: this process's metrics
    registry.register(LiveStateCollector())
    return registry


def exposition(*, multiprocess_path: str | None = None) -> bytes:
    return bytes(generate_latest(scrape_registry(multiprocess_path=multiprocess_path)))
