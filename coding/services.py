"""Runs of participants' code: what to run, the Execution record of each run, and
starting the program through `coding.runner` (the only way to the sandbox).

The synchronous functions here use the ORM (call them through
database_sync_to_async from consumers); `start_program` is async.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from coding import runner, signals
from coding.languages import Language, get_language
from coding.models import Execution, ExecutionStatus
from coding.sandbox import configured_backend_name
from coding.sandbox.base import RunResult
from observer.errors import SessionEnded
from sessions import filenames
from sessions.events import broadcast_on_commit, session_group
from sessions.live import ledger
from sessions.models import Document, Participant, SessionState

OUTPUT_TAIL_CHARS = 4000


class RunRefused(Exception):
    """The run cannot start; `code` is the error frame's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RunPlan:
    participant_id: uuid.UUID
    session_id: uuid.UUID
    user_id: uuid.UUID | None
    language: str
    documents: tuple[tuple[uuid.UUID, str], ...]  # (document id, file name), entry first
    entry: str
    # Files the run leaves out (names the sandbox cannot take), with why: (name, reason).
    left_out: tuple[tuple[str, str], ...] = ()


def run_plan(*, participant_id: uuid.UUID, file_ids: Sequence[str] | None, entry: str | None) -> RunPlan:
    """Which of the participant's files run, and which is the entry (or RunRefused, or
    SessionEnded)."""
    participant = Participant.objects.select_related("session").get(pk=participant_id)
    session = participant.session
    if session.state == SessionState.ENDED:
        raise SessionEnded("This session has ended; runs are closed.")
    if participant.removed_at is not None:
        raise RunRefused("forbidden", "You were removed from this session.")
    documents = list(
        Document.objects.filter(participant=participant, deleted_at__isnull=True).order_by("created_at", "name")
    )
    if file_ids is not None:
        wanted = {str(f) for f in file_ids}
        documents = [d for d in documents if str(d.pk) in wanted]
        if len(documents) != len(wanted):
            raise RunRefused("invalid", "Some of those files are not yours (or no longer exist).")
    if not documents:
        raise RunRefused("invalid", "There is no file to run.")
    language = get_language(session.language)
    entry = entry or _default_entry([d.name for d in documents], language)
    if entry not in {d.name for d in documents}:
        raise RunRefused("invalid", f"The entry file {entry!r} is not among the files to run.")
    # Names from before the one file-name rule: such a file cannot enter the sandbox, so
    # it stays out of the run instead of blocking every run (the terminal says so).
    problems = {d.name: problem for d in documents if (problem := filenames.name_problem(d.name))}
    if entry in problems:
        raise RunRefused("invalid", f'The file "{entry}" cannot run: {problems[entry]} Rename it, then run it again.')
    if not entry.endswith(language.source_suffixes):
        *most, last = language.source_suffixes
        kinds = f"{', '.join(most)} or {last}" if most else last
        raise RunRefused("invalid", f"This session runs {language.label}: only {kinds} files run, and {entry} is "
                         f"not one. Put the code to run in a {language.source_suffixes[0]} file.")
    documents = [d for d in documents if d.name not in problems]
    documents.sort(key=lambda d: d.name != entry)
    return RunPlan(
        participant_id=participant.pk, session_id=session.pk, user_id=participant.user_id,
        language=session.language, documents=tuple((d.pk, d.name) for d in documents), entry=entry,
        left_out=tuple(sorted(problems.items())),
    )


def _default_entry(names: list[str], language: Language) -> str:
    """The language's usual entry (main.py) if there, else the first of its files."""
    if language.entry_name in names:
        return language.entry_name
    return next((name for name in names if name.endswith(language.source_suffixes)), names[0])


def left_out_note(plan: RunPlan) -> bytes:
    """What the terminal says before the program's output about files the run left out."""
    lines = [f'"{name}" was left out of this run: {reason} Rename it to use it.' for name, reason in plan.left_out]
    return "".join(f"\x1b[2m{line}\x1b[0m\r\n" for line in lines).encode()


async def gather_files(
    plan: RunPlan, text_of: Callable[[uuid.UUID], Awaitable[str]]
) -> list[tuple[str, str]]:
    """The files' freshest text (the live documents, not a stale copy)."""
    return [(name, await text_of(document_id)) for document_id, name in plan.documents]


async def start_program(*, plan: RunPlan, files: list[tuple[str, str]], rows: int, cols: int) -> runner.InteractiveRun:
    """Start the program in a PTY; raises runner.InvalidRun or a SandboxError."""
    return await runner.start_interactive(
        language=plan.language, files=files, entry=plan.entry, rows=rows, cols=cols
    )


def execution_started(*, plan: RunPlan, queue_wait_ms: int) -> Execution:
    now = timezone.now()
    ledger.ensure_registered()  # alive before its first run is on record (see executions_sweep)
    with transaction.atomic():
        execution = Execution.objects.create(
            user_id=plan.user_id, participant_id=plan.participant_id, session_id=plan.session_id,
            language=plan.language, entry=plan.entry, interactive=True, backend=configured_backend_name(),
            status=ExecutionStatus.RUNNING, queue_wait_ms=queue_wait_ms, started_at=now, owner=ledger.PROCESS,
        )
        broadcast_on_commit(
            groups=[session_group(plan.session_id, "teachers")],
            event={"type": "run.started", "participant_id": str(plan.participant_id), "run_id": str(execution.pk),
                   "language": plan.language},
        )
        transaction.on_commit(lambda: signals.run_started.send(sender=execution_started, execution=execution))
    return execution


def execution_finished(*, execution_id: uuid.UUID, result: RunResult) -> Execution:
    transcript = (result.stdout or b"").decode("utf-8", "replace")
    with transaction.atomic():
        execution = Execution.objects.select_for_update().get(pk=execution_id)
        execution.status = str(result.status)
        execution.exit_code = result.exit_code
        execution.signal = result.signal
        execution.message = result.message
        execution.wall_ms = result.wall_ms
        execution.cpu_ms = result.cpu_ms
        execution.peak_memory_kb = result.peak_memory_kb
        execution.output_bytes = result.output_bytes
        execution.output_tail = transcript[-OUTPUT_TAIL_CHARS:]
        execution.finished_at = timezone.now()
        execution.save()
        _announce_end(execution)

        def announce() -> None:
            signals.run_finished.send(sender=execution_finished, execution=execution)
            if execution.status == ExecutionStatus.SANDBOX_ERROR:
                signals.sandbox_failed.send(sender=execution_finished, language=execution.language,
                                            message=execution.message)

        transaction.on_commit(announce)
    return execution


def _announce_end(execution: Execution) -> None:
    if execution.session_id is not None:
        broadcast_on_commit(
            groups=[session_group(execution.session_id, "teachers")],
            event={"type": "run.ended", "participant_id": str(execution.participant_id),
                   "run_id": str(execution.pk), "status": execution.status, "exit_code": execution.exit_code,
                   "wall_ms": execution.wall_ms},
        )


ORPHANED_MESSAGE = "The server running this program stopped (a restart or a crash); the run ended there."
# Runs on record from before runs had an owner: taken for orphaned once this old.
UNOWNED_STALE = timedelta(hours=6)


def executions_sweep(*, now: datetime | None = None) -> int:
    """End the runs that a server process which no longer runs left `running` (killed,
    with a message); a living process's runs, here or on another machine, are never
    touched. Returns how many ended."""
    now = now or timezone.now()
    running = list(Execution.objects.filter(status=ExecutionStatus.RUNNING).values_list("pk", "owner", "started_at"))
    alive: dict[str, bool | None] = {}
    orphaned = []
    for pk, owner, started_at in running:
        if owner:
            if owner not in alive:
                alive[owner] = ledger.is_alive(owner)
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
            _announce_end(execution)
            transaction.on_commit(
                functools.partial(signals.run_finished.send, sender=executions_sweep, execution=execution)
            )
            ended += 1
    return ended


def run_rejected(*, language: str, reason: str, principal: Any = None, participant_id: uuid.UUID | None = None) -> None:
    """A run refused before it started; `principal` (and the participant) say whose."""
    signals.run_rejected.send(
        sender=run_rejected, language=language, reason=reason, principal=principal, participant_id=participant_id
    )


def run_queued(*, language: str, participant_id: uuid.UUID, position: int) -> None:
    signals.run_queued.send(sender=run_queued, language=language, participant_id=participant_id, position=position)


def exit_frame(execution: Execution) -> dict[str, object]:
    """The terminal's `exit` frame for a finished execution."""
    return {
        "type": "exit", "run_id": str(execution.pk), "status": execution.status, "exit_code": execution.exit_code,
        "signal": execution.signal, "wall_ms": execution.wall_ms, "cpu_ms": execution.cpu_ms,
        "peak_memory_kb": execution.peak_memory_kb, "output_bytes": execution.output_bytes,
        "message": execution.message,
    }
