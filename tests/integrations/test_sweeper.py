"""Judge0 submissions a dead server process left In Queue or Processing end as Internal
Error with a message, their callback and their key's webhook sent like any finished
submission's, exactly once (the sweep or a run that finishes late, never both); a living
process's are never touched. A submission is owned by the process that records it (its
`owner` column, never in an answer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from coding import sweeper
from integrations import sweeper as integrations_sweeper
from integrations.judge0 import services
from integrations.models import Submission, SubmissionStatus, WebhookDelivery
from observer import liveness
from tests.integrations.test_webhooks import Receiver, receiver  # noqa: F401 - the fixture
from tests.sweep_support import DEAD, LIVING

pytestmark = pytest.mark.django_db


def _unfinished(key: Any, owner: str, status: int = SubmissionStatus.IN_QUEUE, **fields: Any) -> Submission:
    return Submission.objects.create(api_key=key, language_id=71, source_code="print(1)", owner=owner,
                                     request={"base64_encoded": False}, status=status, **fields)  # fmt: skip


def test_it_ends_the_unfinished_submissions_of_dead_processes_only(settings: Any, make_key: Any) -> None:
    settings.REDIS_URL = ""  # only what this machine can tell
    key = make_key().key
    queued = _unfinished(key, DEAD, callback_url="https://example.com/judge0")
    processing = _unfinished(key, DEAD, SubmissionStatus.PROCESSING)
    living = [_unfinished(key, owner, status) for owner in LIVING
              for status in (SubmissionStatus.IN_QUEUE, SubmissionStatus.PROCESSING)]  # fmt: skip
    old_unowned = _unfinished(key, "")
    Submission.objects.filter(pk=old_unowned.pk).update(created_at=timezone.now() - timedelta(hours=7))
    fresh_unowned = _unfinished(key, "")
    accepted = _unfinished(key, DEAD, SubmissionStatus.ACCEPTED)

    assert sweeper.sweep_all()["Judge0 submissions"] == 3

    for ended in (queued, processing, old_unowned):
        ended.refresh_from_db()
        assert ended.status == SubmissionStatus.INTERNAL_ERROR
        assert ended.message == f"{integrations_sweeper.ORPHANED_MESSAGE} ({integrations_sweeper.ORPHANED_CODE})"
        assert ended.finished_at is not None
    still = Submission.objects.filter(pk__in=[s.pk for s in [*living, fresh_unowned]])
    assert {s.status for s in still} == {SubmissionStatus.IN_QUEUE, SubmissionStatus.PROCESSING}
    assert all(s.finished_at is None for s in still)
    assert Submission.objects.get(pk=accepted.pk).status == SubmissionStatus.ACCEPTED
    delivery = WebhookDelivery.objects.get()  # the one submission with a callback
    assert delivery.url == "https://example.com/judge0" and delivery.state == "pending"
    assert f'"token": "{queued.pk}"' in delivery.body and '"id": 13' in delivery.body
    assert sweeper.sweep_all()["Judge0 submissions"] == 0


def test_a_swept_submission_puts_its_callback_and_posts_the_keys_webhook(
        settings: Any, make_key: Any, key_client: Any, receiver: Receiver) -> None:  # noqa: F811
    """What an integrator waiting for the end hears, as for any finished submission: the
    callback's PUT and the key's submission.finished POST, each with the Internal Error
    that GET answers, delivered by the housekeeping's job (deliver_due)."""
    import json

    from integrations import key_webhooks, webhooks

    settings.REDIS_URL = ""
    issued = make_key("execute", "read", webhook_url=receiver.url)
    submission = _unfinished(issued.key, DEAD, SubmissionStatus.PROCESSING, callback_url=receiver.url)
    assert sweeper.sweep_all()["Judge0 submissions"] == 1
    assert webhooks.deliver_due() == 2
    polled = key_client(issued.secret).get(f"/judge0/submissions/{submission.pk}").json()
    assert polled["status"] == {"id": 13, "description": "Internal Error"}
    assert polled["message"].endswith("(server_stopped)")
    sent = {headers["X-Observer-Event"]: (method, json.loads(body)) for method, _, headers, body in receiver.requests}
    assert sent == {"judge0.submission": ("PUT", polled),
                    key_webhooks.EVENT: ("POST", {"event": key_webhooks.EVENT, "api": "judge0", "submission": polled})}
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert sweeper.sweep_all()["Judge0 submissions"] == 0 and webhooks.deliver_due() == 0  # once


def test_a_submission_is_owned_by_the_process_that_records_it(make_key: Any, key_client: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from integrations import background

    monkeypatch.setattr(background, "start", lambda make: None)  # recorded, not run
    issued = make_key("execute", "read")
    client = key_client(issued.secret)
    made = client.post("/judge0/submissions", {"source_code": "print(1)", "language_id": 71,
                                               "command_line_arguments": "a b"}, format="json")
    submission = Submission.objects.get(pk=made.json()["token"])
    assert submission.owner == liveness.PROCESS
    # The request keeps what the client asked for, nothing of the server's own.
    assert submission.request == {"command_line_arguments": "a b", "base64_encoded": False}
    every_field = client.get(f"/judge0/submissions/{submission.pk}?fields=*")
    assert every_field.status_code == 200 and every_field.json()["command_line_arguments"] == "a b"
    assert liveness.PROCESS not in every_field.content.decode()  # never shown to the client
    assert "owner" not in every_field.json()


def test_a_late_finisher_records_and_sends_nothing_after_the_sweep(settings: Any, make_key: Any) -> None:
    """The process only looked dead: its run ends after the sweep ended the submission.
    The sweep's Internal Error stays (what the client was told), nothing is sent again."""
    from coding.sandbox.base import RunResult, Status

    settings.REDIS_URL = ""
    issued = make_key("execute", webhook_url="https://93.184.215.14/hook")
    stale = _unfinished(issued.key, DEAD, SubmissionStatus.PROCESSING, callback_url="https://example.com/judge0")
    stale = Submission.objects.select_related("api_key").get(pk=stale.pk)  # as the run holds it
    assert sweeper.sweep_all()["Judge0 submissions"] == 1
    assert sorted(WebhookDelivery.objects.values_list("event", flat=True)) == ["judge0.submission",
                                                                               "submission.finished"]
    late = RunResult(Status.OK, 0, None, 10, 10, 1000, 2, stdout=b"1\n", stderr=b"")
    assert services.record_end(stale, result=late, execution=None, refusal=None) is None
    recorded = services.finish(stale, result=late, execution=None, refusal=None)
    assert (recorded.status, recorded.stdout) == (SubmissionStatus.INTERNAL_ERROR, None)
    assert WebhookDelivery.objects.count() == 2  # the sweep's callback and webhook, no more
    assert sweeper.sweep_all()["Judge0 submissions"] == 0


def test_a_submission_that_finished_first_is_not_swept(settings: Any, make_key: Any) -> None:
    """The sweep read it unfinished, then its run recorded the end: the sweep's claim fails."""
    from coding.sandbox.base import RunResult, Status

    settings.REDIS_URL = ""
    issued = make_key("execute", webhook_url="https://93.184.215.14/hook")
    submission = _unfinished(issued.key, DEAD, SubmissionStatus.PROCESSING)
    swept = Submission.objects.select_related("api_key").get(pk=submission.pk)  # as the sweep read it
    done = RunResult(Status.OK, 0, None, 10, 10, 1000, 2, stdout=b"1\n", stderr=b"")
    assert services.record_end(Submission.objects.select_related("api_key").get(pk=submission.pk), result=done,
                               execution=None, refusal=None) is not None
    assert services.record_end(swept, result=None, execution=None,
                               refusal=(integrations_sweeper.ORPHANED_CODE, "gone")) is None
    submission.refresh_from_db()
    assert (submission.status, submission.stdout) == (SubmissionStatus.ACCEPTED, "1\n")
    assert WebhookDelivery.objects.count() == 1  # the run's webhook only


@pytest.mark.django_db(transaction=True)  # the run's own database thread
async def test_a_submission_swept_while_it_waited_is_not_run(settings: Any, make_key: Any) -> None:
    from channels.db import database_sync_to_async

    from coding.models import Execution

    settings.REDIS_URL = ""
    key = (await database_sync_to_async(make_key)("execute")).key
    waiting = await database_sync_to_async(_unfinished)(key, DEAD)
    assert (await database_sync_to_async(sweeper.sweep_all)())["Judge0 submissions"] == 1
    submission = await services.run_submission(waiting.pk)
    assert submission.status == SubmissionStatus.INTERNAL_ERROR
    assert not await database_sync_to_async(Execution.objects.exists)()  # no program ran


@pytest.mark.redis
def test_it_asks_redis_about_processes_on_other_machines(settings: Any, make_key: Any, redis_url: str) -> None:
    import uuid

    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=3)
    settings.REDIS_URL = redis_url
    settings.LIVE_REDIS_PREFIX = prefix = f"test-sweep-{uuid.uuid4().hex[:8]}"
    beating, silent = "machine-a:10:abcdef04", "machine-b:11:abcdef05"
    client.set(f"{prefix}:presence:alive:{beating}", "1", ex=60)
    try:
        key = make_key().key
        kept, ended = _unfinished(key, beating), _unfinished(key, silent, SubmissionStatus.PROCESSING)
        assert sweeper.sweep_all()["Judge0 submissions"] == 1
        kept.refresh_from_db()
        ended.refresh_from_db()
        assert (kept.status, ended.status) == (SubmissionStatus.IN_QUEUE, SubmissionStatus.INTERNAL_ERROR)
    finally:
        client.delete(f"{prefix}:presence:alive:{beating}")
