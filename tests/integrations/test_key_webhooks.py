"""A key's own `submission.finished` webhook for Judge0 submissions: queued once when a
submission of the key finishes and the key has a webhook URL, a signed POST with the
submission as the API answers it, beside (not instead of) the submission's callback.
(/api/v1/executions runs: test_key_webhooks_executions.py.)"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from integrations import key_webhooks, webhooks
from integrations.judge0 import services
from integrations.models import Submission, SubmissionStatus, WebhookDelivery
from tests.integrations.test_webhooks import Receiver, receiver  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)

def _delivered(receiver: Receiver, count: int = 1) -> WebhookDelivery:  # noqa: F811
    """The key's one submission.finished delivery, once the receiver has it. Its first try
    is a task of its own (the run does not wait for it): the periodic job's part is played
    here by deliver_due, which skips a try that task holds."""
    for _ in range(600):  # up to 30 s on a loaded machine
        webhooks.deliver_due()
        if len(receiver.requests) >= count:
            break
        time.sleep(0.05)
    for _ in range(100):  # the try records its outcome just after the answer arrived
        delivery = WebhookDelivery.objects.get(event=key_webhooks.EVENT)
        if delivery.state == "delivered":
            return delivery
        time.sleep(0.05)
    raise AssertionError(f"not delivered: {delivery.state} {delivery.last_error}")


def _signed(issued: Any, headers: dict[str, str], body: bytes) -> bool:
    return webhooks.verify(secret=issued.key.webhook_secret, timestamp=headers["X-Observer-Timestamp"], body=body,
                           signature=headers["X-Observer-Signature"])


def test_a_finished_judge0_submission_posts_the_keys_webhook_signed(make_key: Any, key_client: Any,
                                                                    receiver: Receiver) -> None:  # noqa: F811
    issued = make_key("execute", "read", webhook_url=receiver.url)
    client = key_client(issued.secret)
    answer = client.post("/judge0/submissions?wait=true", {"source_code": 'print("hi")', "language_id": 71},
                         format="json")
    assert answer.status_code == 201, answer.json()
    token = answer.json()["token"]
    delivery = _delivered(receiver)
    assert (delivery.method, delivery.attempts, delivery.api_key_id) == ("POST", 1, issued.key.pk)
    [(method, path, headers, body)] = receiver.requests
    assert (method, path, headers["X-Observer-Event"]) == ("POST", "/hook", "submission.finished")
    assert _signed(issued, headers, body)
    payload = json.loads(body)
    assert (payload["event"], payload["api"]) == ("submission.finished", "judge0")
    # The same as GET /judge0/submissions/{token} answers (its default fields).
    assert payload["submission"] == client.get(f"/judge0/submissions/{token}").json()
    assert payload["submission"]["status"] == {"id": 3, "description": "Accepted"}
    assert payload["submission"]["stdout"] == "hi\n"


def test_base64_submissions_are_reported_encoded_as_they_were_made(make_key: Any, key_client: Any,
                                                                   receiver: Receiver) -> None:  # noqa: F811
    issued = make_key("execute", "read", webhook_url=receiver.url)
    client = key_client(issued.secret)
    answer = client.post("/judge0/submissions?wait=true&base64_encoded=true",
                         {"source_code": "cHJpbnQoIjEiKQ==", "language_id": 71}, format="json")  # print("1")
    token = answer.json()["token"]
    _delivered(receiver)
    payload = json.loads(receiver.requests[0][3])
    assert payload["submission"]["stdout"] == "MQo="  # "1\n"
    assert payload["submission"] == client.get(f"/judge0/submissions/{token}?base64_encoded=true").json()


def test_the_callback_and_the_keys_webhook_are_independent(make_key: Any, key_client: Any,
                                                           receiver: Receiver) -> None:  # noqa: F811
    issued = make_key("execute", webhook_url=receiver.url)
    key_client(issued.secret).post("/judge0/submissions?wait=true", {
        "source_code": 'print("cb")', "language_id": 71, "callback_url": receiver.url}, format="json")
    _delivered(receiver, count=2)
    assert sorted((method, headers["X-Observer-Event"]) for method, _, headers, _ in receiver.requests) == [
        ("POST", "submission.finished"), ("PUT", "judge0.submission")]
    assert sorted(WebhookDelivery.objects.values_list("event", flat=True)) == ["judge0.submission",
                                                                               "submission.finished"]


def test_nothing_is_queued_for_a_key_without_a_webhook_url(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute").secret)
    assert client.post("/judge0/submissions?wait=true", {"source_code": "print(1)", "language_id": 71},
                       format="json").status_code == 201
    assert not WebhookDelivery.objects.exists()


async def test_a_batch_posts_one_webhook_per_submission_from_the_servers_loop(
        make_key: Any, receiver: Receiver) -> None:  # noqa: F811
    """On a server's loop the first try is made there, without the periodic job."""
    issued = await database_sync_to_async(make_key)("execute", webhook_url=receiver.url)
    made = await AsyncClient().post("/judge0/submissions/batch", {"submissions": [
        {"source_code": 'print("a")', "language_id": 71}, {"source_code": 'print("b")', "language_id": 71}]},
        content_type="application/json", headers={"X-Auth-Token": issued.secret})
    assert made.status_code == 201, made.json()
    tokens = sorted(item["token"] for item in made.json())
    for _ in range(600):  # up to 30 s on a loaded machine
        if len(receiver.requests) >= 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # a third would have come by now
    reported = sorted(json.loads(body)["submission"]["token"] for _, _, _, body in receiver.requests)
    assert reported == tokens
    events = await database_sync_to_async(
        lambda: list(WebhookDelivery.objects.values_list("event", flat=True)))()
    assert events == [key_webhooks.EVENT] * 2


def test_a_submission_a_stopped_server_left_is_reported_when_the_sweeper_ends_it(make_key: Any) -> None:
    issued = make_key("execute", webhook_url="https://93.184.215.14/hook")
    submission = services.submission_create(key=issued.key, data={"source_code": "print(1)", "language_id": 71},
                                            base64_encoded=False)
    services.finish(Submission.objects.select_related("api_key").get(pk=submission.pk), result=None,
                    execution=None, refusal=("server_stopped", "The server stopped"))
    delivery = WebhookDelivery.objects.get()
    payload = json.loads(delivery.body)
    assert (delivery.event, delivery.method, delivery.url) == ("submission.finished", "POST",
                                                              "https://93.184.215.14/hook")
    assert payload["submission"]["token"] == str(submission.pk)
    assert payload["submission"]["status"]["id"] == SubmissionStatus.INTERNAL_ERROR


def test_a_webhook_that_cannot_be_queued_leaves_the_submission_recorded(make_key: Any, key_client: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> WebhookDelivery:
        raise RuntimeError("the queue is broken")

    monkeypatch.setattr(webhooks, "enqueue", broken)
    issued = make_key("execute", webhook_url="https://93.184.215.14/hook")
    client = key_client(issued.secret)
    answer = client.post("/judge0/submissions?wait=true", {"source_code": "print(1)", "language_id": 71},
                         format="json")
    assert answer.status_code == 201 and answer.json()["status"]["id"] == 3
    assert Submission.objects.get().status == 3
