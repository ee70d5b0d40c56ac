"""Reads for the integrations' views (the views query nothing themselves)."""

from __future__ import annotations

import uuid

from accounts.models import User
from coding.models import Execution
from integrations.models import ApiKey


def key_execution(*, key: ApiKey, execution_id: uuid.UUID | str) -> Execution | None:
    """One of the key's executions (None for another key's, or none)."""
    return Execution.objects.filter(pk=execution_id, api_key=key).first()


def active_user(*, user_id: uuid.UUID | str) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()
