"""/api/v1/executions?async=true runs a dead server process left queued or running: polled,
they answer 503 server_stopped at once; the sweep ends them so (their record,
AsyncExecution) and posts the key's `submission.finished` webhook with that error, as for
any finished run, exactly once: the sweep and a run that finishes late claim the same
row, and only the one that claims it reports. A living process's are never touched."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from coding import sweeper
from coding.models import Execution, ExecutionStatus
from integrations import async_executions, background, executions, key_webhooks, webhooks
from integrations.models import AsyncExecution, WebhookDelivery
from observer import liveness
from tests.integrations.test_webhooks import Receiver, receiver  # noqa: F401 - the fixture
from tests.sweep_support import DEAD, LIVING

pytestmark = pytest.mark.django_db

SOURCE = {"language": "python", "files": [{"name": "main.py", "content": 'print("late")\n'}]}
STOPPED = {"code": "server_stopped", "message": executions.SERVER_STOPPED_MESSAGE}


def _queued(key: Any, owner: str) -> AsyncExecution:
    return AsyncExecution.objects.create(api_key=key, owner=owner)


def test_an_async_execution_is_owned_by_the_process_that_runs_it(make_key: Any, key_client: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "start", lambda make: None)  # recorded, not run
    client = key_client(make_key("execute").secret)
    answer = client.post("/api/v1/executions?async=true", SOURCE, format="json")
    assert answer.status_code == 202
    row = AsyncExecution.objects.get(pk=answer.json()["id"])
    assert (row.owner, row.state, row.finished_at) == (liveness.PROCESS, "queued", None)
    polled = client.get(f"/api/v1/executions/{row.pk}")
    assert (polled.status_code, polled.json()) == (202, {"id": str(row.pk), "status": "queued"})


def test_an_async_execution_of_a_dead_process_answers_that_it_stopped(settings: Any, make_key: Any,
                                                                    key_client: Any) -> None:
    """Before any sweep: the poll asks whether the process that runs it still does."""
    settings.REDIS_URL = ""  # only what this machine can tell
    issued = make_key("execute", "read")
    client = key_client(issued.secret)
    dead, living = _queued(issued.key, DEAD), [_queued(issued.key, owner) for owner in LIVING]
    stopped = client.get(f"/api/v1/executions/{dead.pk}")
    assert stopped.status_code == 503
    assert stopped.json()["error"] == {**STOPPED, "details": {}}
    for row in living:
        waiting = client.get(f"/api/v1/executions/{row.pk}")
        assert (waiting.status_code, waiting.json()) == (202, {"id": str(row.pk), "status": "queued"})
    assert key_client(make_key("execute").secret).get(f"/api/v1/executions/{dead.pk}").status_code == 404


def test_the_sweep_ends_them_and_posts_the_keys_webhook_once(settings: Any, make_key: Any, key_client: Any,
                                                             receiver: Receiver) -> None:  # noqa: F811
    settings.REDIS_URL = ""
    issued = make_key("execute", "read", webhook_url=receiver.url)
    client = key_client(issued.secret)
    waiting = _queued(issued.key, DEAD)  # in the queue when its process died
    running = _queued(issued.key, DEAD)  # its program had started: its Execution row is coding.sweeper's
    program = Execution.objects.create(api_key=issued.key, language="python", status=ExecutionStatus.RUNNING,
                                       owner=DEAD, started_at=timezone.now())
    living = [_queued(issued.key, owner) for owner in LIVING]

    swept = sweeper.sweep_all()
    assert (swept["async executions"], swept["runs"]) == (2, 1)
    assert webhooks.deliver_due() == 2  # the housekeeping's job: the webhooks go out

    program.refresh_from_db()
    assert program.status == ExecutionStatus.KILLED
    reported = {}
    for method, _, headers, body in receiver.requests:
        assert (method, headers["X-Observer-Event"]) == ("POST", key_webhooks.EVENT)
        assert webhooks.verify(secret=issued.key.webhook_secret, timestamp=headers["X-Observer-Timestamp"],
                               body=body, signature=headers["X-Observer-Signature"])
        payload = json.loads(body)
        reported[payload["id"]] = payload
    assert set(reported) == {str(waiting.pk), str(running.pk)}
    for row in (waiting, running):
        row.refresh_from_db()
        assert (row.state, row.finished_at is not None) == ("server_stopped", True)
        polled = client.get(f"/api/v1/executions/{row.pk}")
        assert polled.status_code == 503 and polled.json()["error"] == {**STOPPED, "details": {}}
        # The webhook says what the poll answers.
        assert reported[str(row.pk)] == {"event": key_webhooks.EVENT, "api": "executions", "id": str(row.pk),
                                         "error": STOPPED}
    assert set(AsyncExecution.objects.filter(pk__in=[r.pk for r in living]).values_list("state", flat=True)) == {
        "queued"}
    assert sweeper.sweep_all()["async executions"] == 0 and webhooks.deliver_due() == 0  # once
    assert WebhookDelivery.objects.count() == 2


def test_a_key_without_a_webhook_url_has_its_runs_ended_all_the_same(settings: Any, make_key: Any) -> None:
    settings.REDIS_URL = ""
    row = _queued(make_key("execute").key, DEAD)
    assert sweeper.sweep_all()["async executions"] == 1
    row.refresh_from_db()
    assert row.state == "server_stopped" and not WebhookDelivery.objects.exists()


def _data() -> dict[str, Any]:
    return {**SOURCE, "stdin": "", "args": [], "limits": {}}


@pytest.mark.django_db(transaction=True)  # the run's own database thread
async def test_a_run_that_finishes_after_the_sweep_sends_nothing_more(settings: Any, make_key: Any,
                                                                      key_client: Any) -> None:
    """Its process only looked dead (its Redis key expired): its run ends after the sweep.
    The client was told server_stopped, by the webhook and the poll: that stays."""
    settings.REDIS_URL = ""
    issued = await database_sync_to_async(make_key)("execute", "read", webhook_url="https://93.184.215.14/hook")
    row = await database_sync_to_async(_queued)(issued.key, DEAD)
    assert (await database_sync_to_async(sweeper.sweep_all)())["async executions"] == 1

    answer = await executions.execute(key_id=issued.key.pk, ticket=row.pk, data=_data(), live=True)

    assert answer["stdout"] == "late\n"  # it did run
    assert await database_sync_to_async(WebhookDelivery.objects.count)() == 1  # the sweep's
    await database_sync_to_async(row.refresh_from_db)()
    assert (row.state, row.execution_id) == ("server_stopped", None)
    polled = await database_sync_to_async(key_client(issued.secret).get)(f"/api/v1/executions/{row.pk}")
    assert polled.status_code == 503 and polled.json()["error"]["code"] == "server_stopped"


@pytest.mark.django_db(transaction=True)
async def test_a_run_that_finished_is_never_swept(settings: Any, make_key: Any, key_client: Any) -> None:
    settings.REDIS_URL = ""
    issued = await database_sync_to_async(make_key)("execute", "read", webhook_url="https://93.184.215.14/hook")
    row = await database_sync_to_async(_queued)(issued.key, liveness.PROCESS)
    answer = await executions.execute(key_id=issued.key.pk, ticket=row.pk, data=_data(), live=True)
    await database_sync_to_async(AsyncExecution.objects.filter(pk=row.pk).update)(owner=DEAD)  # then it died

    assert (await database_sync_to_async(sweeper.sweep_all)())["async executions"] == 0
    await database_sync_to_async(row.refresh_from_db)()
    assert (row.state, str(row.execution_id)) == ("finished", answer["id"])
    [delivery] = await database_sync_to_async(lambda: list(WebhookDelivery.objects.all()))()
    assert json.loads(delivery.body)["execution"]["stdout"] == "late\n"  # the run's own report, once
    polled = await database_sync_to_async(key_client(issued.secret).get)(f"/api/v1/executions/{row.pk}")
    assert polled.status_code == 200 and polled.json()["id"] == answer["id"]


def test_the_claim_is_taken_once(make_key: Any) -> None:
    """What makes it once on any database: a conditional update, queued → an end."""
    row = _queued(make_key().key, DEAD)
    assert async_executions.claim_end(row.pk, AsyncExecution.State.FINISHED) is True
    assert async_executions.claim_end(row.pk, AsyncExecution.State.SERVER_STOPPED) is False
    assert async_executions.async_stopped(ticket=row.pk) is False
    assert async_executions.claim_end(uuid.uuid4(), AsyncExecution.State.FINISHED) is False  # no such row
    row.refresh_from_db()
    assert row.state == "finished"


def test_every_server_process_housekeeping_runs_these_sweeps(settings: Any, make_key: Any) -> None:
    """observer.periodic's "sweep" job (every server process, each minute) is what ends
    them without a human: a Judge0 submission and an async execution alike."""
    from integrations.models import Submission, SubmissionStatus
    from observer import periodic

    settings.REDIS_URL = ""
    key = make_key("execute").key
    execution = _queued(key, DEAD)
    submission = Submission.objects.create(api_key=key, language_id=71, source_code="print(1)", owner=DEAD)
    assert periodic.JOBS["sweep"].every_seconds() == sweeper.SWEEP_EVERY_SECONDS
    periodic.JOBS["sweep"].run()
    execution.refresh_from_db()
    submission.refresh_from_db()
    assert (execution.state, submission.status) == ("server_stopped", SubmissionStatus.INTERNAL_ERROR)
