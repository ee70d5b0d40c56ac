"""A key's own `submission.finished` webhook for /api/v1/executions runs: queued once
when a run of the key finishes and the key has a webhook URL, a signed POST with the
execution as GET /api/v1/executions/{id} answers it."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import AsyncClient

from integrations import executions, key_webhooks, webhooks
from integrations.models import AsyncExecution, WebhookDelivery
from tests.integrations.test_key_webhooks import _delivered, _signed
from tests.integrations.test_webhooks import Receiver, receiver  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)

FILES = [{"name": "main.py", "content": 'print("hooked")\n'}]


def test_nothing_is_queued_for_a_key_without_a_webhook_url(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute").secret)
    assert client.post("/api/v1/executions", {"language": "python", "files": FILES}, format="json").status_code == 200
    assert not WebhookDelivery.objects.exists()


def test_a_webhook_that_cannot_be_queued_leaves_the_run_whole(make_key: Any, key_client: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> WebhookDelivery:
        raise RuntimeError("the queue is broken")

    monkeypatch.setattr(webhooks, "enqueue", broken)
    issued = make_key("execute", webhook_url="https://93.184.215.14/hook")
    ran = key_client(issued.secret).post("/api/v1/executions", {"language": "python", "files": FILES}, format="json")
    assert ran.status_code == 200 and ran.json()["status"] == "ok"


def test_a_finished_execution_posts_the_keys_webhook_signed(make_key: Any, key_client: Any,
                                                            receiver: Receiver) -> None:  # noqa: F811
    issued = make_key("execute", webhook_url=receiver.url)
    client = key_client(issued.secret)
    answer = client.post("/api/v1/executions", {"language": "python", "files": FILES, "stdin": "in"}, format="json")
    assert answer.status_code == 200, answer.json()
    delivery = _delivered(receiver)
    assert delivery.method == "POST"
    [(method, _, headers, body)] = receiver.requests
    assert (method, headers["X-Observer-Event"]) == ("POST", "submission.finished") and _signed(issued, headers, body)
    payload = json.loads(body)
    assert (payload["event"], payload["api"]) == ("submission.finished", "executions")
    # The same as GET /api/v1/executions/{id} answers.
    assert payload["execution"] == client.get(f"/api/v1/executions/{answer.json()['id']}").json()
    assert payload["execution"]["stdout"] == "hooked\nin"


def test_a_refused_async_execution_is_reported_with_its_error(make_key: Any) -> None:
    issued = make_key("execute", webhook_url="https://93.184.215.14/hook")
    ticket = str(uuid.uuid4())
    error = {"code": "busy", "message": "Every run slot is taken.", "retry_after": 5}
    cache.set(executions._pending_key(uuid.UUID(ticket)),
              {"id": ticket, "key": str(issued.key.pk), "status": "rejected", "error": error}, 60)
    # A sync client had the refusal as its answer: nothing to report.
    assert key_webhooks.execution_finished(key=issued.key, execution_id=ticket, live=False) is None
    delivery = key_webhooks.execution_finished(key=issued.key, execution_id=ticket, live=True)
    assert delivery is not None
    assert json.loads(delivery.body) == {"event": "submission.finished", "api": "executions", "id": ticket,
                                         "error": error}
    assert WebhookDelivery.objects.count() == 1


async def test_an_async_execution_posts_the_keys_webhook_once_and_records_its_end(
        make_key: Any, receiver: Receiver) -> None:  # noqa: F811
    """On a server's loop: the run claims its AsyncExecution (queued → finished) and, in the
    same transaction, queues the webhook; its first try is made there."""
    issued = await database_sync_to_async(make_key)("execute", "read", webhook_url=receiver.url)
    auth = {"X-API-Key": issued.secret}
    accepted = await AsyncClient().post("/api/v1/executions?async=true", {"language": "python", "files": FILES},
                                        content_type="application/json", headers=auth)
    assert accepted.status_code == 202
    ticket = accepted.json()["id"]
    for _ in range(600):  # up to 30 s on a loaded machine
        if receiver.requests:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # a second would have come by now
    [(method, _, headers, body)] = receiver.requests
    assert (method, headers["X-Observer-Event"]) == ("POST", "submission.finished")
    payload = json.loads(body)
    polled = await AsyncClient().get(f"/api/v1/executions/{ticket}", headers=auth)
    assert payload == {"event": "submission.finished", "api": "executions", "execution": polled.json()}
    row = await database_sync_to_async(AsyncExecution.objects.get)(pk=ticket)
    assert (row.state, str(row.execution_id)) == ("finished", polled.json()["id"])
