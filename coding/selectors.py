"""Reads of runs for the API."""

from __future__ import annotations

import uuid

from coding.models import Execution, ExecutionStatus


def last_finished_run(*, participant_id: uuid.UUID) -> Execution | None:
    """The participant's newest run that has ended (a refused request is not a run, and
    a run still going shows live in the terminal instead)."""
    return (
        Execution.objects.filter(participant_id=participant_id)
        .exclude(status__in=[ExecutionStatus.QUEUED, ExecutionStatus.RUNNING, ExecutionStatus.REJECTED])
        .order_by("-created_at", "-pk")
        .first()
    )
