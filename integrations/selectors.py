"""Reads for the integrations' views (the views query nothing themselves)."""

from __future__ import annotations

import uuid

from accounts.models import User
from coding.models import Execution
from integrations.models import ApiKey, AsyncExecution


def key_execution(*, key: ApiKey, execution_id: uuid.UUID | str) -> Execution | None:
    """One of the key's executions (None for another key's, or none)."""
    return Execution.objects.filter(pk=execution_id, api_key=key).first()


def key_async_execution(*, key: ApiKey, ticket: uuid.UUID | str) -> AsyncExecution | None:
    """One of the key's ?async=true executions by the id its 202 answered (None for another key's)."""
    return AsyncExecution.objects.filter(pk=ticket, api_key=key).first()


def active_user(*, user_id: uuid.UUID | str) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()
