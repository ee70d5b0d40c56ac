"""A key's own `submission.finished` webhook: when a run of the key finishes (a Judge0
submission, or an /api/v1/executions run) and the key has a `webhook_url`, a signed POST
with the result, in the shape the API answers it with, is queued (integrations.webhooks:
durable, retried for a day). It is independent of a Judge0 submission's `callback_url`
(both are sent when both are set).

Body: `{"event": "submission.finished", "api": "judge0", "submission": <GET
/judge0/submissions/{token}'s answer: the default fields, Base64 when the submission was
made so>}` or `{"event": "submission.finished", "api": "executions", "execution": <GET
/api/v1/executions/{id}'s answer>}`; an `?async=true` run the run service refused (its
client polls for it), or one whose server process stopped, gives `{"event", "api":
"executions", "id", "error": {code, message, ...}}`, the error GET answers.

The run never waits for the webhook: the row is queued when the result is recorded and
the first try is a task of its own on the server's loop (later tries: the periodic job,
the sweeper, `manage.py deliver_webhooks`). A run whose server process died is reported
the same way, with what the API answers for it then (a submission's Internal Error, an
async execution's `server_stopped` error), queued by the sweep that ends it
(integrations.sweeper); the sweep and a run that finishes late claim the same row, so
only one of them sends it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.db import transaction
from rest_framework.utils.encoders import JSONEncoder

from integrations import webhooks
from integrations.models import ApiKey, Submission, WebhookDelivery

logger = logging.getLogger("observer.webhooks")

EVENT = "submission.finished"
_tries: set[asyncio.Task[None]] = set()


def _queue(*, key: ApiKey, body: dict[str, Any]) -> WebhookDelivery:
    # DRF's encoder: dates and ids as the API's answers render them.
    return webhooks.enqueue(event=EVENT, url=key.webhook_url, body=json.dumps(body, cls=JSONEncoder), api_key=key,
                            method="POST")


def judge0_finished(submission: Submission) -> WebhookDelivery | None:
    """Queue the key's webhook for a finished submission (in the transaction that records
    it, so it is queued exactly once); None when the key has no webhook URL."""
    from integrations.judge0.services import DEFAULT_FIELDS, answer  # services calls this module

    key = submission.api_key
    if not key.webhook_url:
        return None
    result = answer(submission, fields=DEFAULT_FIELDS, base64_encoded=bool(submission.request.get("base64_encoded")))
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the submission's own record whole
            return _queue(key=key, body={"event": EVENT, "api": "judge0", "submission": result})
    except Exception:
        logger.exception("the submission.finished webhook of submission %s was not queued", submission.pk)
        return None


def execution_finished(*, key: ApiKey, execution_id: uuid.UUID | str, live: bool) -> WebhookDelivery | None:
    """Queue the key's webhook for an execution whose end is stored (in the transaction
    that records it, so it is queued exactly once: integrations.executions), with what GET
    /api/v1/executions/{execution_id} answers; None when the key has no webhook URL, the
    run is not over, or a synchronous run was refused (its client was answered with that)."""
    from integrations.executions import stored_answer  # executions calls this module

    if not key.webhook_url:
        return None
    stored = stored_answer(key=key, execution_id=execution_id)
    if stored is None or stored[0] == "queued":
        return None
    state, result = stored
    if state == "rejected" and not live:
        return None
    body = ({"event": EVENT, "api": "executions", "id": str(execution_id), "error": result} if state == "rejected"
            else {"event": EVENT, "api": "executions", "execution": result})
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the run's own record whole
            return _queue(key=key, body=body)
    except Exception:
        logger.exception("the submission.finished webhook of execution %s was not queued", execution_id)
        return None


async def try_now(delivery_id: int) -> None:
    """One try off the loop; if it did not deliver, the sweeper retries."""
    tried = await sync_to_async(webhooks.deliver, thread_sensitive=False)(delivery_id)
    if tried is None or tried.state == WebhookDelivery.State.PENDING:
        webhooks.ensure_sweeper()


def try_soon(delivery_id: int) -> None:
    """From the server's loop: try the delivery in a task of its own (nobody waits for it)."""
    task = asyncio.get_running_loop().create_task(try_now(delivery_id))
    _tries.add(task)
    task.add_done_callback(_tries.discard)
