"""/metrics: values move with real runs, live gauges come from the records."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from coding import limits
from coding import signals as coding_signals
from monitoring.metrics import exposition
from monitoring.models import ErrorEvent
from observer import signals as observer_signals
from tests.live_factories import make_participant, make_session
from tests.monitoring.conftest import make_run, parse, scrape_text, value

pytestmark = pytest.mark.django_db


def test_it_counts_a_run_from_start_to_finish(scrape) -> None:
    before = scrape()
    run = make_run(status="running", language="python")
    coding_signals.run_started.send(sender=test_it_counts_a_run_from_start_to_finish, execution=run)
    run.status, run.wall_ms, run.queue_wait_ms, run.finished_at = "ok", 1500, 300, timezone.now()
    run.save()
    coding_signals.run_finished.send(sender=test_it_counts_a_run_from_start_to_finish, execution=run)
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("observer_runs_started_total", language="python") == 1
    assert delta("observer_runs_finished_total", language="python", status="ok") == 1
    assert delta("observer_run_duration_seconds_count", language="python") == 1
    assert delta("observer_run_duration_seconds_sum", language="python") == pytest.approx(1.5)
    assert delta("observer_run_duration_seconds_bucket", language="python", le="1.0") == 0
    assert delta("observer_run_duration_seconds_bucket", language="python", le="2.5") == 1
    assert delta("observer_run_queue_wait_seconds_sum", language="python") == pytest.approx(0.3)


def test_it_labels_failed_runs_by_their_status(scrape) -> None:
    before = scrape()
    for status in ("timeout", "timeout", "compile-error"):
        run = make_run(status=status, language="c")
        coding_signals.run_finished.send(sender=None, execution=run)
    after = scrape()
    name = "observer_runs_finished_total"
    assert value(after, name, language="c", status="timeout") - value(before, name, language="c", status="timeout") == 2
    assert value(after, name, language="c", status="compile-error") - value(
        before, name, language="c", status="compile-error"
    ) == 1


def test_it_counts_rejections_sandbox_errors_and_rate_limits(scrape) -> None:
    before = scrape()
    coding_signals.run_rejected.send(sender=None, language="java", reason="rate")
    coding_signals.run_rejected.send(sender=None, language="java", reason="concurrency")
    coding_signals.sandbox_failed.send(sender=None, language="java", message="bwrap: setting up uid map: denied")
    observer_signals.rate_limited.send(sender=None, scope="auth", key="auth_ip")
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("observer_runs_rejected_total", language="java", reason="rate") == 1
    assert delta("observer_runs_rejected_total", language="java", reason="concurrency") == 1
    assert delta("observer_sandbox_errors_total", language="java") == 1
    assert delta("observer_rate_limited_total", scope="run", limit="runs_per_window") == 1
    assert delta("observer_rate_limited_total", scope="auth", limit="auth_ip") == 1
    error = ErrorEvent.objects.get(source="sandbox")
    assert "uid map" in error.message and error.details["language"] == "java"


def test_it_reads_active_runs_queue_and_live_sessions_from_the_records(scrape, settings) -> None:
    make_run(status="running")
    make_run(status="running", language="java")
    make_run(status="ok")
    # Left over by a process that died hours ago: not running any more.
    make_run(status="running", created_at=timezone.now() - timedelta(hours=5))
    live = make_session()
    make_session(state="ended")
    make_participant(session=live, connections=1)
    make_participant(session=live)
    make_participant(session=live, removed_at=timezone.now())
    # The run queue is where enforcement keeps it: one slot, taken; two more wait.
    settings.RUN_LIMITS = {"max_concurrent": 1}
    slots, conf = limits.slots(), limits.config()
    tickets = [f"monitoring-test-{uuid.uuid4()}" for _ in range(3)]
    decisions = [slots.acquire(t, f"u:{t}", conf, first=True) for t in tickets]
    try:
        assert [d.granted for d in decisions] == [True, False, False]
        samples = scrape()
    finally:
        for ticket in tickets:
            slots.release(ticket)

    assert value(samples, "observer_live_state_up") == 1
    assert value(samples, "observer_runs_active") == 2
    assert value(samples, "observer_run_queue_length") == 2
    assert value(samples, "observer_live_sessions") == 1
    assert value(samples, "observer_live_participants", state="joined") == 2
    assert value(samples, "observer_live_participants", state="online") == 1
    assert value(scrape(), "observer_run_queue_length") == 0


@pytest.mark.django_db(transaction=True)
async def test_it_counts_open_websocket_connections_by_kind() -> None:
    scrape = sync_to_async(lambda: parse(scrape_text()))
    await observer_signals.websocket_connected.asend(sender=None, kind="terminal")
    await observer_signals.websocket_connected.asend(sender=None, kind="terminal")
    await observer_signals.websocket_connected.asend(sender=None, kind="document")
    samples = await scrape()
    assert value(samples, "observer_websocket_connections", kind="terminal") == 2
    assert value(samples, "observer_websocket_connections", kind="document") == 1

    await observer_signals.websocket_disconnected.asend(sender=None, kind="terminal")
    samples = await scrape()
    assert value(samples, "observer_websocket_connections", kind="terminal") == 1


_WORKER = """
import types, django
django.setup()
from monitoring.metrics import observe_run_finished, RUNS_STARTED
RUNS_STARTED.labels(language="python").inc()
observe_run_finished(types.SimpleNamespace(language="python", status="ok", wall_ms=200, queue_wait_ms=0))
"""


def test_it_adds_up_what_several_server_processes_counted(tmp_path: Path) -> None:
    """Multiprocess mode: each process writes its own file; any scrape reads them all."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "observer.settings",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", _WORKER], env=env, cwd=settings.BASE_DIR, check=True, timeout=60)
    assert len(list(tmp_path.glob("*.db"))) >= 2  # one file set per process

    samples = parse(exposition(multiprocess_path=str(tmp_path)).decode())

    assert value(samples, "observer_runs_started_total", language="python") == 2
    assert value(samples, "observer_runs_finished_total", language="python", status="ok") == 2
    assert value(samples, "observer_run_duration_seconds_count", language="python") == 2
    assert value(samples, "observer_run_duration_seconds_sum", language="python") == pytest.approx(0.4)
    assert value(samples, "observer_live_state_up") == 1  # live gauges are still there


def test_it_shows_the_webhook_queue_and_how_late_it_is(scrape, teacher) -> None:
    from datetime import timedelta

    from integrations import keys, webhooks
    from integrations.models import WebhookDelivery

    key = keys.key_create(owner=teacher, actor=teacher, name="hooks", scopes=["execute"]).key
    assert value(scrape(), "observer_webhook_deliveries_pending") == 0
    assert value(scrape(), "observer_webhook_overdue_seconds") == 0
    late, later = (webhooks.enqueue(event="e", url="https://example.com/", body="{}", api_key=key) for _ in range(2))
    WebhookDelivery.objects.filter(pk=late.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=10))
    webhooks.enqueue(event="e", url="https://example.com/", body="{}", api_key=key)
    WebhookDelivery.objects.filter(pk__gt=later.pk).update(state="delivered")
    samples = scrape()
    assert value(samples, "observer_webhook_deliveries_pending") == 2
    assert value(samples, "observer_webhook_overdue_seconds") >= 600  # the late one, not the later one
