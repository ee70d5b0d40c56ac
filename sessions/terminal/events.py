"""The session's teachers hear of their students' runs: `run.started` and `run.ended`
on the session's teachers group, from the run service's signals (coding.signals,
sent once the Execution row is committed)."""

from __future__ import annotations

from typing import Any

from coding import signals
from coding.models import Execution
from observer import contract
from sessions.events import broadcast_on_commit, session_group


def on_run_started(sender: Any, *, execution: Execution, **kwargs: Any) -> None:
    if execution.session_id is None:
        return
    broadcast_on_commit(
        groups=[session_group(execution.session_id, "teachers")],
        event=contract.RunStarted(type="run.started", participant_id=str(execution.participant_id),
                                  run_id=str(execution.pk), language=execution.language),
    )


def on_run_finished(sender: Any, *, execution: Execution, **kwargs: Any) -> None:
    if execution.session_id is None:
        return
    broadcast_on_commit(
        groups=[session_group(execution.session_id, "teachers")],
        event=contract.RunEnded(type="run.ended", participant_id=str(execution.participant_id),
                                run_id=str(execution.pk), status=execution.status, exit_code=execution.exit_code,
                                wall_ms=execution.wall_ms),
    )


def connect() -> None:
    """Called once from the sessions app's ready()."""
    signals.run_started.connect(on_run_started, dispatch_uid="sessions.terminal.run_started")
    signals.run_finished.connect(on_run_finished, dispatch_uid="sessions.terminal.run_finished")
