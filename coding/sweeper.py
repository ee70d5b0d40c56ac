"""What a dead server process left unfinished: its runs left `running` end (killed, with
a message), so no row stays running for ever and the teachers hear the run ended. A
living process's runs, here or on another machine, are never touched (observer.liveness).

Other apps keep work of their own in flight on a process (a submission being graded, a
Judge0 submission in its queue, an AI answer streaming): each registers a sweep here
(`register`, from its AppConfig.ready), run by the same sweeps as the runs', with the
same answer to "is that process dead?" (`Owners`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
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


class Owners:
    """Which owners (liveness.PROCESS strings) are dead, each asked once per sweep. A row
    with no owner (kept before its kind had one) is taken for orphaned once older than
    UNOWNED_STALE."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self._alive: dict[str, bool | None] = {}

    def orphaned(self, owner: str, since: datetime | None) -> bool:
        if not owner:
            return (since or self.now) < self.now - UNOWNED_STALE
        if owner not in self._alive:
            self._alive[owner] = liveness.is_alive(owner)
        return self._alive[owner] is False


# name -> sweep(owners) ending what dead processes left of that kind; returns how many.
Sweep = Callable[[Owners], int]
SWEEPS: dict[str, Sweep] = {}


def register(name: str, sweep: Sweep) -> None:
    SWEEPS[name] = sweep


def sweep_all(*, now: datetime | None = None) -> dict[str, int]:
    """Every kind of work dead processes left unfinished, ended; how many of each. One
    kind that fails is logged and does not keep the others from being swept."""
    owners = Owners(now=now or timezone.now())
    counts = {"runs": executions_sweep(now=owners.now, owners=owners)}
    for name, sweep in SWEEPS.items():
        try:
            counts[name] = sweep(owners)
        except Exception:
            logger.exception("could not sweep %s left by dead server processes", name)
    return counts


def executions_sweep(*, now: datetime | None = None, owners: Owners | None = None) -> int:
    """End the runs of server processes that no longer run; returns how many ended."""
    now = now or timezone.now()
    owners = owners or Owners(now=now)
    running = list(Execution.objects.filter(status=ExecutionStatus.RUNNING).values_list("pk", "owner", "started_at"))
    orphaned = [pk for pk, owner, started_at in running if owners.orphaned(owner, started_at)]
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
        counts = await database_sync_to_async(sweep_all)()
    except Exception:
        logger.exception("could not sweep the runs of dead server processes")
        return
    log_swept(counts)


def sweep_periodically() -> None:
    """The periodic job (observer.periodic): one sweep, its outcome logged."""
    log_swept(sweep_all())


def log_swept(counts: dict[str, int]) -> None:
    swept = {name: n for name, n in counts.items() if n}
    if swept:
        logger.warning("ended what a server process that stopped left unfinished: %s",
                       ", ".join(f"{n} {name}" for name, n in swept.items()))
