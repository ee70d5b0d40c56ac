"""A run's `Execution` row, written by the run service (coding.runs): inserted when
the program starts, finished with its result. Each write is one statement on its own
(no transaction around it: nothing else changes with it), sent from the service's
single database thread, so it is kept to one round trip.

The run lifecycle signals (coding.signals) go out once the row is committed; the
session's teachers hear of runs through them (sessions.terminal.events), monitoring
counts them.
"""

from __future__ import annotations

import functools
import uuid

from django.db import transaction
from django.utils import timezone

from accounts.principals import Principal
from coding import signals
from coding.models import Execution, ExecutionStatus
from coding.sandbox import configured_backend_name
from coding.sandbox.base import RunResult
from observer import liveness

OUTPUT_TAIL_CHARS = 4000


def execution_started(*, run_id: uuid.UUID, language: str, entry: str, interactive: bool, queue_wait_ms: int,
                      user_id: uuid.UUID | None = None, participant_id: uuid.UUID | None = None,
                      session_id: uuid.UUID | None = None, api_key_id: uuid.UUID | None = None) -> Execution:
    liveness.ensure_alive()  # alive before its first run is on record (see coding.sweeper)
    execution = Execution.objects.create(
        id=run_id, user_id=user_id, participant_id=participant_id, session_id=session_id, api_key_id=api_key_id,
        language=language,
        entry=entry, interactive=interactive, backend=configured_backend_name(), status=ExecutionStatus.RUNNING,
        queue_wait_ms=queue_wait_ms, started_at=timezone.now(), owner=liveness.PROCESS,
    )
    transaction.on_commit(functools.partial(signals.run_started.send, sender=execution_started, execution=execution))
    return execution


FINISHED_FIELDS = ("status", "exit_code", "signal", "message", "wall_ms", "cpu_ms", "peak_memory_kb", "output_bytes",
                   "output_tail", "finished_at")


def execution_finished(*, execution: Execution, result: RunResult) -> Execution:
    """The row, finished with `result` (unless the sweeper ended it first: then as it is)."""
    execution.status = str(result.status)
    execution.exit_code = result.exit_code
    execution.signal = result.signal
    execution.message = result.message
    execution.wall_ms = result.wall_ms
    execution.cpu_ms = result.cpu_ms
    execution.peak_memory_kb = result.peak_memory_kb
    execution.output_bytes = result.output_bytes
    execution.output_tail = (result.stdout or b"").decode("utf-8", "replace")[-OUTPUT_TAIL_CHARS:]
    execution.finished_at = timezone.now()
    changed = Execution.objects.filter(pk=execution.pk, status=ExecutionStatus.RUNNING).update(
        **{name: getattr(execution, name) for name in FINISHED_FIELDS}
    )
    if not changed:
        return Execution.objects.get(pk=execution.pk)
    transaction.on_commit(functools.partial(_announce_finished, execution))
    return execution


def _announce_finished(execution: Execution) -> None:
    signals.run_finished.send(sender=execution_finished, execution=execution)
    if execution.status == ExecutionStatus.SANDBOX_ERROR:
        signals.sandbox_failed.send(sender=execution_finished, language=execution.language, message=execution.message)


def run_rejected(*, language: str, reason: str, principal: Principal | None = None,
                 participant_id: uuid.UUID | None = None) -> None:
    """A run refused before it started; `principal` (and the participant) say whose."""
    signals.run_rejected.send(
        sender=run_rejected, language=language, reason=reason, principal=principal, participant_id=participant_id
    )


def run_queued(*, language: str, participant_id: uuid.UUID | None, position: int) -> None:
    signals.run_queued.send(sender=run_queued, language=language, participant_id=participant_id, position=position)
