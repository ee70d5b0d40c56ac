"""Helpers for the monitoring suite: runs as real Execution rows, a /metrics scraper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.conf import settings as django_settings
from django.db import connections as databases
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from coding.models import Execution
from monitoring import connections, consumers

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Argon2 is deliberately slow; these tests create many users and never test passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_monitoring_state() -> Iterator[None]:
    """Connection counts and memoised figures are per process: no test inherits another's."""

    def reset() -> None:
        connections._counts.clear()
        consumers._memo = None
        if django_settings.REDIS_URL:
            connections._client().delete(connections.hash_key())

    reset()
    yield
    reset()


@pytest.fixture(autouse=True)
def _close_worker_thread_connections() -> Iterator[None]:
    """Async tests reach the database from asgiref's worker thread; its connection must
    not outlive the test (PostgreSQL refuses to drop a test database still in use)."""
    yield
    SyncToAsync.single_thread_executor.submit(databases.close_all).result(timeout=10)


def make_run(
    *,
    language: str = "python",
    status: str = "ok",
    wall_ms: int | None = 120,
    created_at: datetime | None = None,
    **fields: Any,
) -> Execution:
    """A finished (or running, or queued) run as the runner records it."""
    now = timezone.now()
    finished = status not in ("queued", "running", "rejected")
    started = None if status in ("queued", "rejected") else now - timedelta(milliseconds=wall_ms or 0)
    fields.setdefault("started_at", started)
    fields.setdefault("finished_at", now if finished else None)
    run = Execution.objects.create(
        language=language, status=status, wall_ms=wall_ms if finished else None, cpu_ms=10,
        peak_memory_kb=2048, **fields,
    )
    if created_at is not None:
        Execution.objects.filter(pk=run.pk).update(created_at=created_at)
        run.created_at = created_at
    return run


def scrape_text(client: Client | None = None, **headers: Any) -> str:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return response.content.decode()


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scrape() -> Callable[[], Samples]:
    return lambda: parse(scrape_text())
