"""Reads of runs for the API."""

from __future__ import annotations

import uuid

from coding.models import Execution, ExecutionStatus


def last_finished_run(*, participant_id: uuid.UUID) -> Execution | None:
    """The participant's newest terminal run that has ended (a refused request is not a
    run, a run still going shows live in the terminal instead, and an exercise's check is
    not the student's run: its output on hidden tests must never reach the student)."""
    return (
        Execution.objects.filter(participant_id=participant_id, interactive=True)
        .exclude(status__in=[ExecutionStatus.QUEUED, ExecutionStatus.RUNNING, ExecutionStatus.REJECTED])
        .order_by("-created_at", "-pk")
        .first()
    )
