"""The runs this server process owns, one per participant at most, per live registry
(a test's registry is its own)."""

from __future__ import annotations

import asyncio
import uuid
import weakref

from coding import frames
from coding.runs import RunSpec
from sessions.live.registry import LiveRegistry
from sessions.terminal.relay import ErrorSink, TerminalRun

_runs: weakref.WeakKeyDictionary[LiveRegistry, dict[uuid.UUID, tuple[TerminalRun, asyncio.Task[None]]]] = (
    weakref.WeakKeyDictionary()
)


def local_run(registry: LiveRegistry, participant_id: uuid.UUID) -> TerminalRun | None:
    entry = _runs.get(registry, {}).get(participant_id)
    return entry[0] if entry else None


def request_run(registry: LiveRegistry, *, participant_id: uuid.UUID, spec: RunSpec,
                on_error: ErrorSink) -> TerminalRun:
    """Start a run; the participant's previous run (here or in another process) stops."""
    relayed = TerminalRun(registry, participant_id=participant_id, spec=spec, on_error=on_error)
    registry.emit(relayed.topic, frames.command_frame("stop", spare=relayed.run.ticket))
    runs = _runs.setdefault(registry, {})
    previous = runs.get(participant_id)
    task = asyncio.get_running_loop().create_task(_owned(relayed, previous[1] if previous else None))
    runs[participant_id] = (relayed, task)
    return relayed


async def _owned(relayed: TerminalRun, previous: asyncio.Task[None] | None) -> None:
    try:
        await relayed.main(after=previous)
    finally:
        runs = _runs.get(relayed.registry, {})
        if runs.get(relayed.participant_id, (None,))[0] is relayed:
            del runs[relayed.participant_id]
