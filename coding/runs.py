"""The run service: one run from request to record, whoever asks for it.

    run = runs.Run(spec, sink).start()
    outcome = await run.wait()

A run goes: runs-per-window limit → the fair queue for a slot (its place told to the
sink) → start in the sandbox (coding.runner) → output and status to the sink → the
`Execution` row (coding.records) → the slot freed, and the window's run given back if
the program never started. The terminal socket (sessions.terminal) drives it with a
sink that relays to every socket of the participant; a batch caller (exercises'
checks, the execution API) and tests give their own sink. Calls go one way: caller →
this service → coding.runner → the sandbox; nothing here knows sessions or sockets.

What a sink hears (coding.frames):
- status(frame): queued (position, sent when it moves, at most once a second), started
  (run id, language, entry), phase (compiling → running), exit (the finished row).
- output(bytes): the program's terminal output (a batch run's stdout only with
  `stream_stdout`), in ticks (a chatty program makes few large frames, not many tiny ones).
- error(code, message, **extra): the run did not happen: rate_limited (retry_after),
  concurrent_run, busy, invalid, server_error.

The path is kept lean because "everyone run your code now" is a class's most common
moment (tests/bench/bench_runs.py): slot and queue decisions go to Redis from the event
loop (no thread hop), a freed slot wakes only the waiters at the head of the queue, the
row is inserted while the program starts and finished in one statement, and the slot
is freed before the bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from accounts.principals import Principal
from coding import frames, limits, records, runner
from coding.models import Execution
from coding.sandbox.base import Limits, RunResult, SandboxError, Status
from observer import contract
from observer.errors import record_error_async

logger = logging.getLogger("observer.terminal")

Files = Sequence[tuple[str, str]]


class FileSource(Protocol):
    """Files read when the run starts (the terminal's live documents: their freshest
    text, not the text when Run was pressed), made ready while the run waits."""

    async def prepare(self) -> None:
        """Called when the run is asked for, before the queue: the slow part (loading)."""

    async def read(self) -> Files:
        """Called when the run starts, holding a slot: (name, text) pairs, entry first."""
        ...

    async def close(self) -> None:
        """Called once the run is over, whatever happened."""

OUTPUT_TICK_SECONDS = 0.01
PENDING_INPUT_BYTES = 64 * 1024
PRINCIPAL_WAIT_SECONDS = 3.0  # how long a new run waits for the one it replaces to stop
POSITION_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class RunSpec:
    """What to run, for whom, and how."""

    language: str
    entry: str
    files: Files | FileSource  # (name, text) pairs, entry first, or read when the run starts
    principal: Principal | None  # whose run: the audit's subject (None: a system's own run)
    principal_key: str  # the rate limits' and the queue's key: accounts.principals.principal_key
    user_id: uuid.UUID | None = None
    participant_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    note: bytes = b""  # shown before the program's output (files the run left out)
    interactive: bool = True  # a PTY, input while it runs; else stdin up front, output captured
    rows: int = 24
    cols: int = 80
    stdin: bytes = b""
    args: tuple[str, ...] = ()  # the program's command-line arguments (argv entries; coding.runner.check_args)
    limits: Limits | None = None  # the language's defaults when None
    # A student's new run replaces their run waiting in the queue (and is refused while
    # another runs); a system's runs (an API key's) queue up behind each other instead,
    # still with one place in the queue at a time, and may run `concurrency` at once.
    replaces: bool = True
    concurrency: int | None = None  # runs at once for this principal (None: the configured limit)
    # A batch run's stdout to the sink's output() as it comes (a grading harness telling
    # test by test); the outcome's result holds all of it as well.
    stream_stdout: bool = False
    # And its stderr to the sink's stderr() (a StderrSink: the execution API's stream).
    stream_stderr: bool = False
    # The runs-per-window limit (RUNS_PER_WINDOW) applies; a caller that enforces a limit
    # of its own (an API key's executions per minute) sets False.
    counted: bool = True
    api_key_id: uuid.UUID | None = None  # the API key the Execution row is attributed to


class RunSink(Protocol):
    def status(self, frame: contract.TerminalStatus) -> None: ...

    def output(self, data: bytes) -> None: ...

    def error(self, code: str, message: str, **extra: Any) -> None: ...


@runtime_checkable
class StderrSink(Protocol):
    """A sink that also hears a batch run's stderr as it comes (RunSpec.stream_stderr)."""

    def stderr(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class RunOutcome:
    execution: Execution | None = None  # None: the run never started
    result: RunResult | None = None  # batch runs: stdout and stderr apart
    refused: str = ""  # the error code told to the sink when it never started


class Run:
    """One requested run. Commands may arrive at any time: before the program starts
    they wait (stop withdraws a queued run at once)."""

    def __init__(self, spec: RunSpec, sink: RunSink) -> None:
        self.spec = spec
        self.sink = sink
        self.ticket = uuid.uuid4().hex
        # Its place in the fair queue: when it was asked for, before the hops that reorder
        # a burst (the rate check's thread, the Redis connections). See coding.limits.
        self.arrived = time.time()
        self.state = "queued"  # → running → done
        self.stopped = False
        self.program: runner.InteractiveRun | runner.BatchRun | None = None
        self.task: asyncio.Task[RunOutcome] | None = None
        self._pending_input = bytearray()
        self._pending: list[dict[str, Any]] = []
        self._out = bytearray()
        self._out_timer: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        self._prepared: asyncio.Future[None] | None = None

    def start(self) -> Run:
        self.task = asyncio.get_running_loop().create_task(self._main())
        return self

    async def wait(self) -> RunOutcome:
        assert self.task is not None, "start() the run first"
        return await asyncio.shield(self.task)

    # --- commands ---------------------------------------------------------------------------

    def command(self, command: dict[str, Any]) -> None:
        name = command.get("cmd")
        if name == "stop" or (name == "interrupt" and self.state != "running"):
            self.stop()  # a queued request is simply withdrawn
        elif not isinstance(self.program, runner.InteractiveRun) or self.state != "running":
            if self.state != "done":
                self._pending.append(command)
        elif name == "interrupt":
            self.program.interrupt()
        elif name == "eof":
            self.program.eof()
        elif name == "resize":
            self.program.resize(int(command["rows"]), int(command["cols"]))

    def write(self, data: bytes) -> None:
        if isinstance(self.program, runner.InteractiveRun) and self.state == "running":
            self.program.write(data)
        elif self.state != "done" and len(self._pending_input) + len(data) <= PENDING_INPUT_BYTES:
            self._pending_input += data

    def stop(self) -> None:
        self.stopped = True
        self._wake.set()
        if self.program is not None and self.state == "running":
            asyncio.get_running_loop().create_task(self.program.stop())

    # --- the run ------------------------------------------------------------------------------

    async def _main(self) -> RunOutcome:
        files = self.spec.files
        prepared = None if isinstance(files, Sequence) else asyncio.ensure_future(files.prepare())
        self._prepared = prepared
        try:
            return await self._limited()
        except Exception as exc:
            logger.exception("run failed")
            self.sink.error("server_error", f"The run failed: {type(exc).__name__}.")
            await record_error_async(exc, where="terminal run" if self.spec.interactive else "batch run",
                                     participant_id=self.spec.participant_id)
            return RunOutcome(refused="server_error")
        finally:
            self.state = "done"
            self._flush_output()
            if prepared is not None:
                prepared.cancel()
                await asyncio.gather(prepared, return_exceptions=True)
                await files.close()  # type: ignore[union-attr]

    async def _limited(self) -> RunOutcome:
        spec = self.spec
        rate = (await sync_to_async(limits.rate_take, thread_sensitive=False)(key=spec.principal_key)
                if spec.counted else None)
        if rate is not None and not rate.allowed:
            self._rejected("rate")
            self.sink.error("rate_limited", f"You can start {rate.limit} runs per {rate.window_seconds} s; "
                            f"try again in {rate.retry_after} s.", retry_after=rate.retry_after)
            return RunOutcome(refused="rate_limited")
        try:
            queued_at = time.monotonic()
            refused = await self._wait_for_slot()
            if refused is not None:
                return RunOutcome(refused=refused)
            try:
                return await self._execute(queue_wait_ms=int((time.monotonic() - queued_at) * 1000))
            finally:
                await limits.slot_release(ticket=self.ticket)
        finally:
            if self.program is None and rate is not None:  # refused, withdrawn or failed to start: no run spent
                await sync_to_async(limits.rate_refund, thread_sensitive=False)(decision=rate)

    def _rejected(self, reason: str) -> None:
        records.run_rejected(language=self.spec.language, reason=reason, principal=self.spec.principal,
                             participant_id=self.spec.participant_id)

    async def _wait_for_slot(self) -> str | None:
        """None once the slot is held; else why not ("" when withdrawn)."""
        first, deadline = True, time.monotonic() + PRINCIPAL_WAIT_SECONDS
        told, told_at = 0, 0.0
        while not self.stopped:
            decision = await limits.slot_acquire(ticket=self.ticket, key=self.spec.principal_key, first=first,
                                                 per_key=self.spec.concurrency, replace=self.spec.replaces,
                                                 arrived=self.arrived, api_key=self.spec.api_key_id is not None)
            first = False
            if decision.granted:
                if self.stopped:
                    break
                return None
            if decision.refused == "principal" and time.monotonic() < deadline:
                first = True  # the run this one replaces is still stopping
                await asyncio.sleep(0.05)
                continue
            if decision.refused in ("waiting_behind", "principal") and not self.spec.replaces:
                first = True  # the principal's other runs go first: wait outside the queue
                await self._sleep(float(limits.config()["queue_poll_seconds"]))
                self.arrived = time.time()  # and then join it at the back: one place per principal
                continue
            if decision.refused:
                self._rejected({"principal": "concurrency", "queue_full": "busy"}.get(decision.refused,
                                                                                       decision.refused))
                if decision.refused == "principal":
                    self.sink.error("concurrent_run", "You already have a run going; stop it first.", retry_after=1)
                    return "concurrent_run"
                if decision.refused == "queue_full":
                    self.sink.error("busy", "The server is too busy right now; try again soon.", retry_after=10)
                    return "busy"
                return ""
            now = time.monotonic()
            if told == 0:
                records.run_queued(language=self.spec.language, participant_id=self.spec.participant_id,
                                   position=decision.position)
            # A class of 100 waiting hears each move, but not 100 times a second.
            if decision.position != told and (told == 0 or now - told_at >= POSITION_EVERY_SECONDS):
                told, told_at = decision.position, now
                self.sink.status(frames.queued(decision.position))
            self._wake.clear()
            waiter = asyncio.ensure_future(
                limits.wait_for_turn(limits.poll_seconds(decision.position), position=decision.position)
            )
            woken = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({waiter, woken}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            woken.cancel()
        await limits.slot_release(ticket=self.ticket)
        return ""

    async def _sleep(self, seconds: float) -> None:
        """Until `seconds` pass, a slot frees here, or the run is stopped."""
        self._wake.clear()
        waiter = asyncio.ensure_future(limits.wait_for_turn(seconds))
        woken = asyncio.ensure_future(self._wake.wait())
        await asyncio.wait({waiter, woken}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        woken.cancel()

    async def _files(self) -> Files:
        files = self.spec.files
        if isinstance(files, Sequence):
            return files
        assert self._prepared is not None
        await self._prepared
        return await files.read()

    async def _start(self, files: Files) -> runner.InteractiveRun | runner.BatchRun:
        spec = self.spec
        if spec.interactive:
            return await runner.start_interactive(language=spec.language, files=files, entry=spec.entry,
                                                  rows=spec.rows, cols=spec.cols, limits=spec.limits, args=spec.args)
        sink = self.sink
        on_stderr = sink.stderr if spec.stream_stderr and isinstance(sink, StderrSink) else None
        return await runner.start_batch(language=spec.language, files=files, entry=spec.entry, stdin=spec.stdin,
                                        limits=spec.limits, on_stdout=self._output if spec.stream_stdout else None,
                                        on_stderr=self._stderr_relay(on_stderr), args=spec.args)

    def _record_started(self, run_id: uuid.UUID, queue_wait_ms: int) -> Awaitable[Execution]:
        spec = self.spec
        return database_sync_to_async(records.execution_started)(
            run_id=run_id, language=spec.language, entry=spec.entry, interactive=spec.interactive,
            queue_wait_ms=queue_wait_ms, user_id=spec.user_id, participant_id=spec.participant_id,
            session_id=spec.session_id, api_key_id=spec.api_key_id,
        )

    async def _execute(self, *, queue_wait_ms: int) -> RunOutcome:
        spec = self.spec
        files = await self._files()
        run_id = uuid.uuid4()
        self.state = "running"
        try:
            program = self.program = await self._start(files)
        except runner.InvalidRun as exc:
            self.sink.error("invalid", str(exc))
            return RunOutcome(refused="invalid")
        except SandboxError as exc:
            failed = RunResult(Status.SANDBOX_ERROR, None, None, 0, 0, 0, 0, message=str(exc))
            execution = await self._record_started(run_id, queue_wait_ms)
            return await self._finish(execution, failed)
        # The row goes in while the program starts: the database is off the way to the output.
        recorded = asyncio.ensure_future(self._record_started(run_id, queue_wait_ms))
        try:
            self.sink.status(frames.started(run_id=str(run_id), language=spec.language, entry=spec.entry))
            if spec.note:
                self._output(spec.note)
            self._replay_pending()
            renew = asyncio.ensure_future(self._renew())
            phases = asyncio.ensure_future(self._watch_phase())
            try:
                if isinstance(program, runner.InteractiveRun):
                    async for chunk in program.output():
                        self._output(chunk)
                result = await program.wait()
            finally:
                renew.cancel()
                phases.cancel()
                self._flush_output()
        except BaseException:
            await asyncio.gather(recorded, return_exceptions=True)
            raise
        await limits.slot_release(ticket=self.ticket)  # the next in the queue need not wait for our bookkeeping
        return await self._finish(await recorded, result)

    async def _finish(self, execution: Execution, result: RunResult) -> RunOutcome:
        execution = await database_sync_to_async(records.execution_finished)(execution=execution, result=result)
        self.state = "done"
        self.sink.status(exit_frame(execution))
        return RunOutcome(execution=execution, result=result)

    def _replay_pending(self) -> None:
        if self._pending_input:
            data, self._pending_input = bytes(self._pending_input), bytearray()
            self.write(data)
        pending, self._pending = self._pending, []
        for command in pending:
            self.command(command)
        if self.stopped and self.program is not None:
            asyncio.get_running_loop().create_task(self.program.stop())

    async def _renew(self) -> None:
        interval = float(limits.config()["lease_seconds"]) / 3
        while True:
            await asyncio.sleep(interval)
            await limits.slot_renew(ticket=self.ticket)

    async def _watch_phase(self) -> None:
        assert self.program is not None
        seen = None
        while True:
            phase = self.program.phase
            if phase != seen and phase in ("compiling", "running"):
                if seen is not None or phase == "compiling":
                    self.sink.status(frames.phase(phase))
                seen = phase
            if phase != "compiling":
                return
            await asyncio.sleep(0.05)

    def _stderr_relay(self, to: Callable[[bytes], None] | None) -> Callable[[bytes], None] | None:
        """stderr to `to`, after the stdout heard before it (the two keep their order)."""
        if to is None:
            return None

        def relay(chunk: bytes) -> None:
            self._flush_output()
            to(chunk)

        return relay

    def _output(self, chunk: bytes) -> None:
        self._out += chunk
        if self._out_timer is None:
            self._out_timer = asyncio.get_running_loop().call_later(OUTPUT_TICK_SECONDS, self._flush_output)

    def _flush_output(self) -> None:
        if self._out_timer is not None:
            self._out_timer.cancel()
            self._out_timer = None
        if self._out:
            data, self._out = bytes(self._out), bytearray()
            self.sink.output(data)


def exit_frame(execution: Execution) -> contract.TerminalExit:
    """The `exit` status frame of a finished execution."""
    return frames.exit_(
        run_id=str(execution.pk), status=execution.status, exit_code=execution.exit_code, signal=execution.signal,
        wall_ms=execution.wall_ms, cpu_ms=execution.cpu_ms, peak_memory_kb=execution.peak_memory_kb,
        output_bytes=execution.output_bytes, message=execution.message,
    )


async def run_to_end(spec: RunSpec, sink: RunSink | None = None) -> RunOutcome:
    """Run and wait for the outcome: what a batch caller wants."""
    return await Run(spec, sink or NullSink()).start().wait()


class NullSink:
    """For callers that only want the outcome."""

    def status(self, frame: contract.TerminalStatus) -> None:
        pass

    def output(self, data: bytes) -> None:
        pass

    def error(self, code: str, message: str, **extra: Any) -> None:
        pass

