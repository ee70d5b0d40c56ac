"""Runs that a dead server process left `running`: ended (killed, with a message), so
no row stays running for ever and the teachers hear the run ended. A living
process's runs, here or on another machine, are never touched (observer.liveness)."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from datetime import datetime, timedelta

from channels.db import database_sync_to_async
from django.db import transaction
from django.utils import timezone

from coding import signals
from coding.models import Execution, ExecutionStatus
from observer import liveness

logger = logging.getLogger("observer.terminal")

ORPHANED_MESSAGE = "The server running this program stopped (a restart or a crash); the run ended there."
# Runs on record from before runs had an owner: taken for orphaned once this old.
UNOWNED_STALE = timedelta(hours=6)
SWEEP_EVERY_SECONDS = 60.0


def executions_sweep(*, now: datetime | None = None) -> int:
    """End the runs of server processes that no longer run; returns how many ended."""
    now = now or timezone.now()
    running = list(Execution.objects.filter(status=ExecutionStatus.RUNNING).values_list("pk", "owner", "started_at"))
    alive: dict[str, bool | None] = {}
    orphaned = []
    for pk, owner, started_at in running:
        if owner:
            if owner not in alive:
                alive[owner] = liveness.is_alive(owner)
            if alive[owner] is False:
                orphaned.append(pk)
        elif (started_at or now) < now - UNOWNED_STALE:
            orphaned.append(pk)
    ended = 0
    for pk in orphaned:
        with transaction.atomic():
            execution = Execution.objects.select_for_update().filter(pk=pk, status=ExecutionStatus.RUNNING).first()
            if execution is None:
                continue  # it ended meanwhile
            execution.status = ExecutionStatus.KILLED
            execution.message = ORPHANED_MESSAGE
            execution.finished_at = now
            execution.save(update_fields=["status", "message", "finished_at"])
            transaction.on_commit(
                functools.partial(signals.run_finished.send, sender=executions_sweep, execution=execution)
            )
            ended += 1
    return ended


_swept_at = 0.0
_sweeps: set[asyncio.Task[None]] = set()


def sweep_soon() -> None:
    """Sweep from the event loop, at most once a minute per process (the first terminal
    socket of a fresh process sweeps at once)."""
    global _swept_at
    now = time.monotonic()
    if _swept_at and now - _swept_at < SWEEP_EVERY_SECONDS:
        return
    _swept_at = now
    task = asyncio.get_running_loop().create_task(_sweep())
    _sweeps.add(task)
    task.add_done_callback(_sweeps.discard)


async def _sweep() -> None:
    try:
        ended = await database_sync_to_async(executions_sweep)()
    except Exception:
        logger.exception("could not sweep the runs of dead server processes")
        return
    if ended:
        logger.warning("ended %d runs left running by a server process that stopped", ended)
