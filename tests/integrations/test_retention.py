"""`manage.py cleanup` prunes the integrations' history: finished Judge0 submissions, ended
async executions' records and API keys' run output past API_OUTPUT_RETENTION_DAYS (never
an unfinished submission or execution, a recent one, or a classroom run's output), ended
webhook deliveries past WEBHOOK_RETENTION_DAYS."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from coding.models import Execution
from integrations import retention, webhooks
from integrations.models import AsyncExecution, Submission, SubmissionStatus, WebhookDelivery

pytestmark = pytest.mark.django_db


def _submission(key: Any, status: int, finished_days_ago: int | None) -> Submission:
    finished = timezone.now() - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return Submission.objects.create(api_key=key, language_id=71, source_code="print(1)", stdout="1\n",
                                     status=status, finished_at=finished)  # fmt: skip


def _run(*, key: Any, finished_days_ago: int) -> Execution:
    return Execution.objects.create(api_key=key, language="python", status="ok", output_tail="secret output\n",
                                    finished_at=timezone.now() - timedelta(days=finished_days_ago))  # fmt: skip


def test_it_prunes_finished_submissions_and_api_output_past_the_retention(make_key: Any, settings: Any,
                                                                         tmp_path: Any) -> None:
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "api_output": 30, "webhooks": 14}
    key = make_key().key
    old_done = _submission(key, SubmissionStatus.ACCEPTED, 31)
    old_failed = _submission(key, SubmissionStatus.WRONG_ANSWER, 40)
    recent = _submission(key, SubmissionStatus.ACCEPTED, 29)
    unfinished = _submission(key, SubmissionStatus.PROCESSING, None)
    Submission.objects.filter(pk=unfinished.pk).update(created_at=timezone.now() - timedelta(days=60))
    old_api_run, recent_api_run = _run(key=key, finished_days_ago=31), _run(key=key, finished_days_ago=1)
    classroom_run = _run(key=None, finished_days_ago=31)
    old_async, recent_async, queued_async = (AsyncExecution.objects.create(api_key=key, owner="h:1:t", **fields)
                                             for fields in ({"state": "finished"}, {"state": "server_stopped"}, {}))
    AsyncExecution.objects.filter(pk=old_async.pk).update(finished_at=timezone.now() - timedelta(days=31))
    AsyncExecution.objects.filter(pk=recent_async.pk).update(finished_at=timezone.now() - timedelta(days=29))
    ended = webhooks.enqueue(event="e", url="https://example.com/", body="{}", api_key=key)
    WebhookDelivery.objects.filter(pk=ended.pk).update(state="delivered",
                                                       created_at=timezone.now() - timedelta(days=15))

    assert retention.history_prune() == {"judge0_submissions": 2, "api_run_outputs": 1, "async_executions": 1,
                                         "webhook_deliveries": 1}

    assert set(Submission.objects.values_list("pk", flat=True)) == {recent.pk, unfinished.pk}
    assert not Submission.objects.filter(pk__in=[old_done.pk, old_failed.pk]).exists()
    tails = dict(Execution.objects.values_list("pk", "output_tail"))
    assert tails == {old_api_run.pk: "", recent_api_run.pk: "secret output\n", classroom_run.pk: "secret output\n"}
    assert not WebhookDelivery.objects.exists()
    assert set(AsyncExecution.objects.values_list("pk", flat=True)) == {recent_async.pk, queued_async.pk}
    assert retention.history_prune() == {"judge0_submissions": 0, "api_run_outputs": 0, "async_executions": 0,
                                         "webhook_deliveries": 0}


def test_the_cleanup_command_reports_it(settings: Any, tmp_path: Any, make_key: Any) -> None:
    settings.SANDBOX_WORK_ROOT = str(tmp_path)
    _submission(make_key().key, SubmissionStatus.ACCEPTED, 400)
    out = io.StringIO()
    call_command("cleanup", stdout=out)
    assert "1 judge0 submissions, 0 api run outputs, 0 async executions, 0 webhook deliveries" in out.getvalue()
