"""An ?async=true execution's record (AsyncExecution): made when the ticket is given, and
ended once, by the run that finishes or by the sweep of a dead process, whichever claims
it first (a conditional update); the claimer queues the key's webhook in the same
transaction, so the webhook and what GET answers always agree."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations import key_webhooks
from integrations.models import ApiKey, AsyncExecution, WebhookDelivery


def record(*, ticket: uuid.UUID, key: ApiKey, owner: str) -> AsyncExecution:
    """The ticket's record, owned by the process that runs it (`owner`)."""
    return AsyncExecution.objects.create(id=ticket, api_key=key, owner=owner)


def report_end(*, key_id: uuid.UUID, ticket: uuid.UUID | None, answer: dict[str, Any]) -> WebhookDelivery | None:
    """A finished run's end, reported once: an async run's AsyncExecution claimed (the sweep
    may have ended it first, as its server process looked dead: then that one reported it)
    and, in the same transaction, the key's webhook queued (None: no webhook)."""
    key = ApiKey.objects.filter(pk=key_id).first()
    with transaction.atomic():
        if ticket is not None:
            execution_id = None if answer.get("status") == "rejected" else answer["id"]
            if not claim_end(ticket, AsyncExecution.State.FINISHED, execution_id=execution_id):
                return None
        if key is None:
            return None
        return key_webhooks.execution_finished(key=key, execution_id=answer["id"], live=ticket is not None)


def async_stopped(*, ticket: uuid.UUID) -> bool:
    """End an async execution whose server process died as `server_stopped` (what GET
    answers for it from then on) and queue its key's webhook with it, in the transaction
    that claims it (integrations.sweeper); False when it had ended already."""
    with transaction.atomic():
        if not claim_end(ticket, AsyncExecution.State.SERVER_STOPPED):
            return False
        row = AsyncExecution.objects.select_related("api_key").get(pk=ticket)
        key_webhooks.execution_finished(key=row.api_key, execution_id=ticket, live=True)
    return True


def claim_end(ticket: uuid.UUID, state: str, *, execution_id: uuid.UUID | str | None = None) -> bool:
    """The claim: queued → `state`, by one caller only (a conditional update, on any database)."""
    return bool(AsyncExecution.objects.filter(pk=ticket, state=AsyncExecution.State.QUEUED).update(
        state=state, execution_id=execution_id, finished_at=timezone.now()))
