"""A participant's terminal across processes: the run they asked for, its queue place,
its output, and the commands that reach it from any tab or any watching teacher.

Everything about one participant's terminal travels on the bridge topic
`term:<participant id>`; the process where `run` was asked owns the run (its
program runs there) and listens for commands on the same topic:

  O + bytes   program output (to every terminal socket)
  J + JSON    a status frame: queued / started / phase / exit (to every terminal socket)
  C + JSON    a command: stop (optionally sparing one ticket), interrupt, eof, resize
  I + bytes   stdin
  W + token   a terminal socket that just connected asks the owner what is running
  T + token + frame   an answer to one socket only
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from coding import limits, runner, services
from coding.sandbox.base import RunResult, SandboxError, Status
from observer.errors import SessionEnded, record_error_async
from sessions.live.registry import LiveRegistry
from sessions.live.topics import COMMAND, OUTPUT, STATUS, terminal_topic

logger = logging.getLogger("observer.terminal")

INPUT = b"I"
WATCH = b"W"
DIRECT = b"T"
OUTPUT_TICK_SECONDS = 0.01
TAIL_BYTES = 16 * 1024
PENDING_INPUT_BYTES = 64 * 1024
ORPHAN_GRACE_SECONDS = 10.0
PRINCIPAL_WAIT_SECONDS = 3.0

ErrorSink = Callable[..., None]


def status_frame(message: dict[str, Any]) -> bytes:
    return STATUS + json.dumps(message, separators=(",", ":"), default=str).encode()


def command_frame(**command: Any) -> bytes:
    return COMMAND + json.dumps(command, separators=(",", ":")).encode()


def direct_frame(token: str, frame: bytes) -> bytes:
    return DIRECT + token.encode() + frame


class ActiveRun:
    """One requested run, owned by this process, from the queue to its exit frame."""

    def __init__(self, registry: LiveRegistry, *, participant_id: uuid.UUID, principal: Any,
                 request: dict[str, Any], on_error: ErrorSink) -> None:
        self.registry = registry
        self.participant_id = participant_id
        self.principal = principal
        self.key = limits.principal_key(principal)
        self.topic = terminal_topic(participant_id)
        self.request = request
        self.on_error = on_error
        self.ticket = uuid.uuid4().hex
        self.state = "queued"
        self.stopped = False
        self.run: runner.InteractiveRun | None = None
        self.run_id: str | None = None
        self.started_frame: dict[str, Any] | None = None
        self.pending_input = bytearray()
        self.pending: list[dict[str, Any]] = []  # commands that arrived before the program started
        self.tail = bytearray()
        self._out = bytearray()
        self._out_timer: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        self._orphan: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None

    # --- the topic ------------------------------------------------------------------------

    def emit(self, frame: bytes) -> None:
        self.registry.emit(self.topic, frame)

    def on_frame(self, frame: bytes) -> None:
        kind, body = frame[:1], frame[1:]
        if kind == COMMAND:
            with contextlib.suppress(ValueError):
                self.command(json.loads(body))
        elif kind == INPUT:
            if self.run is not None and self.state == "running":
                self.run.write(body)
            elif len(self.pending_input) + len(body) <= PENDING_INPUT_BYTES:
                self.pending_input += body
        elif kind == WATCH and self.started_frame is not None and self.state == "running":
            token = body.decode(errors="replace")
            self.emit(direct_frame(token, status_frame(self.started_frame)))
            if self.tail:
                self.emit(direct_frame(token, OUTPUT + bytes(self.tail)))

    def command(self, command: dict[str, Any]) -> None:
        name = command.get("cmd")
        if name == "stop" and command.get("spare") == self.ticket:
            return
        if name in ("stop", "interrupt") and self.state != "running":
            self.stop()  # a queued request is simply withdrawn
        elif name == "stop":
            self.stop()
        elif self.run is None or self.state != "running":
            self.pending.append(command)
        elif name == "interrupt":
            self.run.interrupt()
        elif name == "eof":
            self.run.eof()
        elif name == "resize":
            self.run.resize(int(command["rows"]), int(command["cols"]))

    def stop(self) -> None:
        self.stopped = True
        self._wake.set()
        if self.run is not None and self.state == "running":
            asyncio.get_running_loop().create_task(self.run.stop())

    # --- the requesting socket going away ---------------------------------------------------

    def requester_gone(self) -> None:
        if self._orphan is None and self.state in ("queued", "running"):
            self._orphan = asyncio.get_running_loop().call_later(ORPHAN_GRACE_SECONDS, self.stop)

    def adopt(self, on_error: ErrorSink) -> None:
        self.on_error = on_error
        if self._orphan is not None:
            self._orphan.cancel()
            self._orphan = None

    # --- the run ------------------------------------------------------------------------------

    async def main(self) -> None:
        await self.registry.listen(self.topic, self.on_frame)
        try:
            await self._main()
        except Exception as exc:
            logger.exception("terminal run failed")
            self.on_error("server_error", f"The run failed: {type(exc).__name__}.")
            await record_error_async(exc, where="terminal run", participant_id=self.participant_id, run_id=self.run_id)
        finally:
            self.state = "done"
            if self._orphan is not None:
                self._orphan.cancel()
            await self.registry.unlisten(self.topic, self.on_frame)
            _forget(self)

    async def _main(self) -> None:
        try:
            plan = await database_sync_to_async(services.run_plan)(
                participant_id=self.participant_id, file_ids=self.request.get("files"),
                entry=self.request.get("entry"),
            )
        except (services.RunRefused, SessionEnded) as refused:
            self._rejected(language="", reason=refused.code)
            self.on_error(refused.code, refused.message)
            return
        rate = await sync_to_async(limits.rate_take)(key=self.key)
        if not rate.allowed:
            self._rejected(language=plan.language, reason="rate")
            self.on_error("rate_limited", f"You can start {rate.limit} runs per {rate.window_seconds} s; "
                          f"try again in {rate.retry_after} s.", retry_after=rate.retry_after)
            return
        try:
            queued_at = time.monotonic()
            if not await self._wait_for_slot(plan.language):
                return
            try:
                await self._execute(plan, queue_wait_ms=int((time.monotonic() - queued_at) * 1000))
            finally:
                await limits.slot_release(ticket=self.ticket)
        finally:
            if self.run is None:  # refused, withdrawn or failed to start: it costs no run
                await sync_to_async(limits.rate_refund)(decision=rate)

    def _rejected(self, *, language: str, reason: str) -> None:
        services.run_rejected(language=language, reason=reason, principal=self.principal,
                              participant_id=self.participant_id)

    async def _wait_for_slot(self, language: str) -> bool:
        conf = limits.config()
        first, last_position, deadline = True, 0, time.monotonic() + PRINCIPAL_WAIT_SECONDS
        while not self.stopped:
            decision = await limits.slot_acquire(ticket=self.ticket, key=self.key, first=first)
            first = False
            if decision.granted:
                return not self.stopped or await _released(self.ticket)
            if decision.refused == "principal" and time.monotonic() < deadline:
                first = True  # the run this one replaces is still stopping
                await asyncio.sleep(0.05)
                continue
            if decision.refused:
                reason = {"principal": "concurrency", "queue_full": "busy"}.get(decision.refused, decision.refused)
                self._rejected(language=language, reason=reason)
                if decision.refused == "principal":
                    self.on_error("concurrent_run", "You already have a run going; stop it first.", retry_after=1)
                elif decision.refused == "queue_full":
                    self.on_error("busy", "The server is too busy right now; try again soon.", retry_after=10)
                return False
            if decision.position != last_position:
                if last_position == 0:
                    services.run_queued(language=language, participant_id=self.participant_id,
                                        position=decision.position)
                last_position = decision.position
                self.emit(status_frame({"type": "queued", "position": decision.position}))
            self._wake.clear()
            waiter = asyncio.ensure_future(limits.wait_for_turn(float(conf["queue_poll_seconds"])))
            woken = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({waiter, woken}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            woken.cancel()
        await limits.slot_release(ticket=self.ticket)
        return False

    async def _execute(self, plan: services.RunPlan, *, queue_wait_ms: int) -> None:
        files = await services.gather_files(plan, self.registry.document_text)
        rows, cols = int(self.request.get("rows") or 24), int(self.request.get("cols") or 80)
        self.state = "running"
        try:
            self.run = await services.start_program(plan=plan, files=files, rows=rows, cols=cols)
        except runner.InvalidRun as exc:
            self.state = "done"
            self.on_error("invalid", str(exc))
            return
        except SandboxError as exc:
            self.state = "done"
            execution = await database_sync_to_async(services.execution_started)(plan=plan, queue_wait_ms=queue_wait_ms)
            failed = RunResult(Status.SANDBOX_ERROR, None, None, 0, 0, 0, 0, message=str(exc))
            execution = await database_sync_to_async(services.execution_finished)(
                execution_id=execution.pk, result=failed
            )
            self.emit(status_frame(services.exit_frame(execution)))
            return
        execution = await database_sync_to_async(services.execution_started)(plan=plan, queue_wait_ms=queue_wait_ms)
        self.run_id = str(execution.pk)
        self.started_frame = {"type": "started", "run_id": self.run_id, "language": plan.language,
                              "entry": plan.entry}
        self.emit(status_frame(self.started_frame))
        if plan.left_out:
            self._output(services.left_out_note(plan))
        self._replay_pending()
        renew = asyncio.ensure_future(self._renew())
        phases = asyncio.ensure_future(self._watch_phase())
        try:
            async for chunk in self.run.output():
                self._output(chunk)
            result = await self.run.wait()
        finally:
            renew.cancel()
            phases.cancel()
            self._flush_output()
        await limits.slot_release(ticket=self.ticket)  # the next in the queue need not wait for our bookkeeping
        execution = await database_sync_to_async(services.execution_finished)(execution_id=execution.pk, result=result)
        self.state = "done"
        self.emit(status_frame(services.exit_frame(execution)))

    def _replay_pending(self) -> None:
        assert self.run is not None
        if self.pending_input:
            self.run.write(bytes(self.pending_input))
            self.pending_input.clear()
        pending, self.pending = self.pending, []
        for command in pending:
            self.command(command)
        if self.stopped:
            asyncio.get_running_loop().create_task(self.run.stop())

    async def _renew(self) -> None:
        interval = float(limits.config()["lease_seconds"]) / 3
        while True:
            await asyncio.sleep(interval)
            await limits.slot_renew(ticket=self.ticket)

    async def _watch_phase(self) -> None:
        assert self.run is not None
        seen = None
        while True:
            phase = self.run.phase
            if phase != seen and phase in ("compiling", "running"):
                if seen is not None or phase == "compiling":
                    self.emit(status_frame({"type": "phase", "phase": phase}))
                seen = phase
            if phase != "compiling":
                return
            await asyncio.sleep(0.05)

    def _output(self, chunk: bytes) -> None:
        """Output leaves in ticks: a chatty program makes few large frames, not many tiny ones."""
        self._out += chunk
        self.tail += chunk
        if len(self.tail) > TAIL_BYTES:
            del self.tail[: len(self.tail) - TAIL_BYTES]
        if self._out_timer is None:
            self._out_timer = asyncio.get_running_loop().call_later(OUTPUT_TICK_SECONDS, self._flush_output)

    def _flush_output(self) -> None:
        if self._out_timer is not None:
            self._out_timer.cancel()
            self._out_timer = None
        if self._out:
            data, self._out = bytes(self._out), bytearray()
            self.emit(OUTPUT + data)


async def _released(ticket: str) -> bool:
    await limits.slot_release(ticket=ticket)
    return False


# --- runs that a dead server process left `running` --------------------------------------------

SWEEP_EVERY_SECONDS = 60.0
_swept_at = 0.0
_sweeps: set[asyncio.Task[None]] = set()


def sweep_soon() -> None:
    """End the runs of dead server processes, at most once a minute per process (the
    first terminal socket of a fresh process sweeps at once)."""
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
        ended = await database_sync_to_async(services.executions_sweep)()
    except Exception:
        logger.exception("could not sweep the runs of dead server processes")
        return
    if ended:
        logger.warning("ended %d runs left running by a server process that stopped", ended)


# --- the runs this process owns ----------------------------------------------------------------

_runs: weakref.WeakKeyDictionary[LiveRegistry, dict[uuid.UUID, ActiveRun]] = weakref.WeakKeyDictionary()


def local_run(registry: LiveRegistry, participant_id: uuid.UUID) -> ActiveRun | None:
    return _runs.get(registry, {}).get(participant_id)


def _forget(run: ActiveRun) -> None:
    runs = _runs.get(run.registry, {})
    if runs.get(run.participant_id) is run:
        del runs[run.participant_id]


def request_run(registry: LiveRegistry, *, participant_id: uuid.UUID, principal: Any,
                request: dict[str, Any], on_error: ErrorSink) -> ActiveRun:
    """Start a run; the participant's previous run (here or in another process) stops."""
    sweep_soon()
    run = ActiveRun(registry, participant_id=participant_id, principal=principal, request=request, on_error=on_error)
    registry.emit(run.topic, command_frame(cmd="stop", spare=run.ticket))
    _runs.setdefault(registry, {})[participant_id] = run
    run.task = asyncio.get_running_loop().create_task(run.main())
    return run
