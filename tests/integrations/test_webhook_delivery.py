"""The durable queue delivers without a human: every server process's periodic job
delivers what is due, each try leased to the one process that claimed it; ended
deliveries are pruned after WEBHOOK_RETENTION_DAYS."""

from __future__ import annotations

import asyncio
import datetime
import threading
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from integrations import webhooks
from integrations.models import WebhookDelivery
from observer import periodic
from tests.integrations.test_webhooks import Receiver, receiver  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_try_is_leased_to_the_one_process_that_claimed_it(make_key: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    delivery = webhooks.enqueue(event="judge0.submission", url="https://example.com/hook", body="{}",
                                api_key=make_key("execute").key)  # fmt: skip
    sending, release = threading.Event(), threading.Event()

    def slow_send(delivery: WebhookDelivery, secret: str) -> int:
        sending.set()
        assert release.wait(30)
        return 204

    monkeypatch.setattr(webhooks, "_send", slow_send)
    outcome: list[WebhookDelivery | None] = []
    first = threading.Thread(target=lambda: outcome.append(webhooks.deliver(delivery.pk)))
    first.start()
    try:
        assert sending.wait(30)
        leased = WebhookDelivery.objects.get(pk=delivery.pk)
        assert leased.attempts == 1 and leased.next_attempt_at > timezone.now()
        # Another process (or this one) cannot claim it while the lease holds.
        assert webhooks.deliver(delivery.pk) is None
        assert webhooks.deliver_due() == 0
    finally:
        release.set()
        first.join(30)
    assert outcome[0] is not None and outcome[0].state == "delivered"
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1


def test_two_claims_of_the_same_try_one_wins(make_key: Any) -> None:
    """The claim is a conditional update on the attempt count read: of two processes that
    read the same due row, the second's update changes nothing."""
    delivery = webhooks.enqueue(event="judge0.submission", url="https://example.com/hook", body="{}",
                                api_key=make_key("execute").key)  # fmt: skip
    read = WebhookDelivery.objects.get(pk=delivery.pk)
    wins = [WebhookDelivery.objects.filter(pk=read.pk, state="pending", attempts=read.attempts)
            .update(attempts=read.attempts + 1) for _ in range(2)]  # fmt: skip
    assert wins == [1, 0]


async def test_the_servers_periodic_job_delivers_what_is_due(make_key: Any, receiver: Receiver,  # noqa: F811
                                                            settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.WEBHOOK_DELIVERY_SECONDS = 0.5
    monkeypatch.setattr(periodic, "JOBS", {"webhooks": periodic.JOBS["webhooks"]})  # only this one
    monkeypatch.setattr(periodic, "_started_on", None)
    issued = await database_sync_to_async(make_key)("execute")
    later = await database_sync_to_async(webhooks.enqueue)(event="judge0.submission", url=receiver.url,
                                                           body="{}", api_key=issued.key)  # fmt: skip
    # Due only after the job's first turn: delivered by a later one, without anyone asking.
    await database_sync_to_async(WebhookDelivery.objects.filter(pk=later.pk).update)(
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=1))
    assert periodic.start() is True and periodic.start() is False  # once per loop
    try:
        for _ in range(600):  # up to 30 s on a loaded machine
            state = await database_sync_to_async(lambda: WebhookDelivery.objects.get(pk=later.pk).state)()
            if state == "delivered":
                break
            await asyncio.sleep(0.05)
        assert state == "delivered" and len(receiver.requests) == 1
    finally:
        for task in list(periodic._tasks):
            task.cancel()
        await asyncio.gather(*periodic._tasks, return_exceptions=True)


def test_ended_deliveries_are_pruned_after_their_retention(make_key: Any, settings: Any) -> None:
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "webhooks": 14}
    key = make_key("execute").key
    old = timezone.now() - datetime.timedelta(days=15)
    rows = {state: webhooks.enqueue(event="e", url="https://example.com/", body="{}", api_key=key)
            for state in ("pending", "delivered", "failed")}  # fmt: skip
    for state, row in rows.items():
        WebhookDelivery.objects.filter(pk=row.pk).update(state=state, created_at=old)
    recent = webhooks.enqueue(event="e", url="https://example.com/", body="{}", api_key=key)
    WebhookDelivery.objects.filter(pk=recent.pk).update(state="delivered")
    assert webhooks.deliveries_prune() == 2
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {rows["pending"].pk, recent.pk}
