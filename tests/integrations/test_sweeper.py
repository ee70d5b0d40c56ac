"""Judge0 submissions a dead server process left In Queue or Processing end as Internal
Error with a message, their callback queued like any finished submission's; a living
process's are never touched. A submission is owned by the process that records it."""

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
from tests.sweep_support import DEAD, LIVING

pytestmark = pytest.mark.django_db


def _unfinished(key: Any, owner: str, status: int = SubmissionStatus.IN_QUEUE, **fields: Any) -> Submission:
    request = {"base64_encoded": False, **({services.OWNER_KEY: owner} if owner else {})}
    return Submission.objects.create(api_key=key, language_id=71, source_code="print(1)", request=request,
                                     status=status, **fields)  # fmt: skip


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


def test_a_submission_is_owned_by_the_process_that_records_it(make_key: Any) -> None:
    submission = services.submission_create(key=make_key().key, base64_encoded=False,
                                            data={"source_code": "print(1)", "language_id": 71})  # fmt: skip
    assert submission.request[services.OWNER_KEY] == liveness.PROCESS
    answer = services.answer(submission, fields=services.ALL_FIELDS, base64_encoded=False)
    assert liveness.PROCESS not in str(answer)  # never shown to the client


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


def test_an_async_execution_of_a_dead_process_answers_that_it_stopped(settings: Any, make_key: Any,
                                                                    key_client: Any) -> None:
    """/api/v1/executions?async=true: the ticket names the process that runs it; polled
    after that process died it answers 503 server_stopped, never queued for ever."""
    import uuid

    from django.core.cache import cache

    from integrations import executions

    settings.REDIS_URL = ""  # only what this machine can tell
    issued = make_key("execute", "read")
    client = key_client(issued.secret)
    tickets = {owner: uuid.uuid4() for owner in (DEAD, *LIVING)}
    for owner, ticket in tickets.items():
        cache.set(f"integrations:execution:{ticket}",
                  {"id": str(ticket), "status": "queued", "key": str(issued.key.pk), "owner": owner}, 60)
    stopped = client.get(f"/api/v1/executions/{tickets[DEAD]}")
    assert stopped.status_code == 503
    assert stopped.json()["error"] == {"code": "server_stopped", "message": executions.SERVER_STOPPED_MESSAGE,
                                       "details": {}}
    for owner in LIVING:
        waiting = client.get(f"/api/v1/executions/{tickets[owner]}")
        assert (waiting.status_code, waiting.json()) == (202, {"id": str(tickets[owner]), "status": "queued"})


def test_an_async_execution_names_the_process_that_runs_it(make_key: Any, key_client: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import cache

    from integrations import background

    monkeypatch.setattr(background, "start", lambda make: None)  # recorded, not run
    answer = key_client(make_key("execute").secret).post(
        "/api/v1/executions?async=true", {"language": "python", "files": [{"name": "main.py", "content": "print(1)"}]},
        format="json")
    assert answer.status_code == 202
    assert cache.get(f"integrations:execution:{answer.json()['id']}")["owner"] == liveness.PROCESS
