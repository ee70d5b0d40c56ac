"""API keys in the operator's view: Prometheus counts each key's runs by final status
under its visible prefix and name, and the dashboard lists the keys used in the last day
with their runs in the last hour and day, failures and last use. Never the secret."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from coding import signals as coding_signals
from integrations import keys
from integrations.models import WebhookDelivery
from tests.monitoring.conftest import make_run, parse, scrape_text, value

pytestmark = pytest.mark.django_db

KEY_RUNS = "observer_api_key_runs_total"


def _key(owner: Any, name: str) -> keys.IssuedKey:
    return keys.key_create(owner=owner, actor=owner, name=name, scopes=["execute", "read"])


def test_prometheus_counts_each_keys_runs_by_status_never_its_secret(teacher: Any) -> None:
    grader, other = _key(teacher, "LMS grader"), _key(teacher, "Interview tool")
    before = parse(scrape_text())
    for status, issued in (("ok", grader), ("ok", grader), ("timeout", grader), ("ok", other)):
        coding_signals.run_finished.send(sender=None, execution=make_run(status=status, api_key=issued.key))
    coding_signals.run_finished.send(sender=None, execution=make_run(status="ok"))  # a classroom run: no key
    text = scrape_text()
    after = parse(text)

    def delta(issued: keys.IssuedKey, status: str) -> float:
        labels = {"key_prefix": issued.key.prefix, "key_name": issued.key.name, "status": status}
        return value(after, KEY_RUNS, **labels) - value(before, KEY_RUNS, **labels)

    assert (delta(grader, "ok"), delta(grader, "timeout"), delta(other, "ok"), delta(other, "timeout")) == (2, 1, 1, 0)
    assert grader.secret not in text and other.secret not in text
    assert grader.key.secret_hash not in text


def test_the_dashboard_lists_the_keys_used_in_the_last_day(client_for: Any, admin_user: Any, teacher: Any,
                                                          django_assert_max_num_queries: Any) -> None:
    now = timezone.now()
    busy, quiet, polling, idle = (_key(teacher, name) for name in ("busy", "quiet", "polling", "idle"))
    for minutes, status in ((5, "ok"), (10, "runtime-error"), (30, "sandbox-error"), (120, "ok"), (60 * 23, "ok")):
        make_run(status=status, api_key=busy.key, created_at=now - timedelta(minutes=minutes))
    make_run(status="ok", api_key=quiet.key, created_at=now - timedelta(hours=3))
    make_run(status="ok", api_key=idle.key, created_at=now - timedelta(days=2))  # older than the day
    polling.key.last_used_at = now - timedelta(minutes=1)
    polling.key.save(update_fields=["last_used_at"])
    WebhookDelivery.objects.create(api_key=busy.key, event="judge0.submission", url="https://example.com/",
                                   body="{}", state="failed")  # fmt: skip
    make_run(status="ok")  # a classroom run

    client = client_for(admin_user)
    with django_assert_max_num_queries(8):  # the session and user, then three: runs, webhooks, keys
        answer = client.get("/api/monitoring/api-keys")
    assert answer.status_code == 200
    rows = {row["name"]: row for row in answer.json()}
    assert list(rows) == ["busy", "quiet", "polling"]
    assert {k: rows["busy"][k] for k in ("runs_last_hour", "runs_last_day", "failed_last_day",
                                         "webhooks_failed_last_day")} == {
        "runs_last_hour": 3, "runs_last_day": 5, "failed_last_day": 2, "webhooks_failed_last_day": 1}
    assert (rows["quiet"]["runs_last_hour"], rows["quiet"]["runs_last_day"]) == (0, 1)
    assert (rows["polling"]["runs_last_day"], rows["polling"]["last_run_at"]) == (0, None)
    assert rows["polling"]["last_used_at"] is not None and rows["busy"]["prefix"] == busy.key.prefix
    assert rows["busy"]["owner"] == teacher.get_username() and rows["busy"]["active"] is True
    for issued in (busy, quiet, polling, idle):
        assert issued.secret not in answer.content.decode() and issued.key.secret_hash not in answer.content.decode()
