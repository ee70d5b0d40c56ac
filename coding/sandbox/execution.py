"""Driving a run: the compile step then the run step, each watched for wall time,
idleness and output caps, and the one status the run ends with."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator, Callable

from coding.languages import Language, expand_argv
from coding.sandbox import build_cache
from coding.sandbox.base import (
    Backend,
    Limits,
    Phase,
    RunResult,
    SandboxError,
    SourceFile,
    Status,
    StepOutcome,
    StepProcess,
    StepSpec,
)
from coding.sandbox.classify import MARKER_TAIL_BYTES, classify, compile_failure
from coding.sandbox.requests import compile_limits

# After a kill, how long output pipes may take to reach EOF before we give up on them.
_DRAIN_SECONDS = 2.0


# --- one step --------------------------------------------------------------------------


class StepDriver:
    """Drives one started step: pumps output, enforces wall/idle/output caps."""

    def __init__(
        self,
        proc: StepProcess,
        limits: Limits,
        *,
        on_output: OutputSink | None = None,
        on_stdout: Callable[[bytes], None] | None = None,
        on_stderr: Callable[[bytes], None] | None = None,
        interactive: bool = False,
    ) -> None:
        self.proc = proc
        self.limits = limits
        self.on_output = on_output
        self.on_stdout = on_stdout  # a batch run's stdout as it comes (captured all the same)
        self.on_stderr = on_stderr  # and its stderr (the execution API's stream)
        self.interactive = interactive
        self.captured: dict[str, bytearray] = {}
        self.total = 0
        self.reason: str | None = None  # "output" | "timeout" | "idle" | "killed"
        self.last_activity = time.monotonic()
        self._wake = asyncio.Event()

    def stop(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.proc.kill()
        self._wake.set()

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    async def _pump(self, name: str, chunks: AsyncIterator[bytes]) -> None:
        buffer = self.captured.setdefault(name, bytearray())
        cap = self.limits.output_bytes
        async for chunk in chunks:
            self.total += len(chunk)
            self.touch()
            room = cap - len(buffer)
            if room > 0:
                buffer += chunk[:room]
                if self.on_output is not None:
                    self.on_output(chunk[:room])
                if self.on_stdout is not None and name == "stdout":
                    self.on_stdout(chunk[:room])
                elif self.on_stderr is not None and name == "stderr":
                    self.on_stderr(chunk[:room])
            if len(chunk) > room:
                self.stop("output")
                # Keep draining (and discarding): a relay between us and the killed
                # program (podman's conmon) must be able to flush and exit.
                async for _ in chunks:
                    pass
                return

    async def run(self) -> StepOutcome:
        loop = asyncio.get_running_loop()
        start = time.monotonic()
        pumps = [loop.create_task(self._pump(n, it)) for n, it in self.proc.read_streams()]
        exited = loop.create_task(self.proc.wait())
        wake = loop.create_task(self._wake.wait())
        try:
            while not exited.done() and self.reason is None:
                now = time.monotonic()
                timeout = start + self.limits.wall_seconds - now
                kind = "timeout"
                if self.interactive and self.limits.idle_seconds:
                    idle_left = self.last_activity + self.limits.idle_seconds - now
                    if idle_left < timeout:
                        timeout, kind = idle_left, "idle"
                if timeout <= 0:
                    self.stop(kind)
                    break
                await asyncio.wait({exited, wake}, timeout=timeout,
                                   return_when=asyncio.FIRST_COMPLETED)
                if wake.done():
                    self._wake.clear()
                    wake = loop.create_task(self._wake.wait())
            if self.reason is not None:
                self.proc.kill()
            outcome = await exited
            await asyncio.wait(pumps, timeout=_DRAIN_SECONDS)
            return outcome
        finally:
            wake.cancel()
            if not exited.done():
                self.proc.kill()
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(asyncio.shield(exited), _DRAIN_SECONDS * 2)
            for task in pumps:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait(pumps)
            self.proc.release()

    def output(self, name: str) -> bytes:
        return bytes(self.captured.get(name, b""))


class OutputSink:
    def __init__(self, queue: asyncio.Queue[bytes | None], transcript: bytearray, cap: int):
        self.queue = queue
        self.transcript = transcript
        self.cap = cap

    def __call__(self, chunk: bytes) -> None:
        self.queue.put_nowait(chunk)
        room = self.cap - len(self.transcript)
        if room > 0:
            self.transcript += chunk[:room]


# --- a whole run ------------------------------------------------------------------------


class Execution:
    def __init__(
        self,
        backend: Backend,
        language: Language,
        sources: tuple[SourceFile, ...],
        limits: Limits,
        *,
        tty: bool,
        rows: int = 24,
        cols: int = 80,
        sink: OutputSink | None = None,
        on_stdout: Callable[[bytes], None] | None = None,
        on_stderr: Callable[[bytes], None] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.backend = backend
        self.on_stderr = on_stderr
        self.args = args  # the program's own arguments, after the run step's argv
        self.on_stdout = on_stdout
        self.language = language
        self.sources = sources
        self.limits = limits
        self.tty = tty
        self.rows, self.cols = rows, cols
        self.sink = sink
        self.phase: Phase = "compiling" if language.compile else "running"
        self.step: StepDriver | None = None
        self.stopped = False
        self.pending_input = bytearray()
        self.pending_eof = False
        self.run_started = False  # the run step exists and got the type-ahead
        self.typed = bytearray()  # the end of what the user typed (its echo is in the transcript)

    def _spec(self, argv: tuple[str, ...], limits: Limits, build: str | None, *,
              writable: bool, args: tuple[str, ...] = ()) -> StepSpec:
        names = [f.name for f in self.sources]
        env = dict(self.language.env)
        if self.tty:
            env["TERM"] = "xterm-256color"
        return StepSpec(
            argv=expand_argv(argv, language=self.language, file_names=names,
                             entry=self.sources[0].name, limits=limits) + args,
            files=self.sources,
            limits=limits,
            env=env,
            build_dir=build,
            build_writable=writable,
            binds=self.language.binds,
            needs_runtimes=self.language.needs_runtimes,
            tty=self.tty,
            rows=self.rows,
            cols=self.cols,
            use_address_space_limit=self.language.address_space_limit,
        )

    async def _start(self, spec: StepSpec, *, interactive: bool,
                     on_stdout: Callable[[bytes], None] | None = None,
                     on_stderr: Callable[[bytes], None] | None = None) -> StepDriver:
        proc = await self.backend.start(spec)
        step = StepDriver(proc, spec.limits, on_output=self.sink, on_stdout=on_stdout, on_stderr=on_stderr,
                          interactive=interactive)
        self.step = step
        if self.stopped:
            step.stop("killed")
        return step

    async def _compile(self, build: str, started: float) -> tuple[RunResult | None, int, int]:
        """The compile step into `build`, or its copy from the build cache for the same
        sources (coding.sandbox.build_cache): a failed result or None, and the step's
        CPU time and peak memory."""
        climits = compile_limits(self.language.name)
        assert self.language.compile is not None
        spec = self._spec(self.language.compile, climits, build, writable=True)
        cache_key = build_cache.key(self.language, spec.argv, self.sources)
        cached, leading = None, False
        if build_cache.capacity():
            cached = build_cache.get(cache_key)
            flight = build_cache.lead_or_follow(cache_key) if cached is None else None
            leading = cached is None and flight is None
            if flight is not None:  # the same sources are being compiled: wait, once
                while not flight.done() and not self.stopped:
                    await asyncio.wait({flight}, timeout=0.1)
                cached = build_cache.get(cache_key)
        try:
            return await self._compile_or_restore(build, started, spec, climits, cache_key, cached)
        finally:
            if leading:
                build_cache.landed(cache_key)

    async def _compile_or_restore(self, build: str, started: float, spec: StepSpec, climits: Limits,
                                  cache_key: str, cached: build_cache.Build | None,
                                  ) -> tuple[RunResult | None, int, int]:
        if cached is not None:
            await asyncio.to_thread(build_cache.restore, cached, build)
            if self.tty and cached.output and self.sink is not None:
                self.sink(cached.output)
            if self.stopped:
                return RunResult(Status.KILLED, None, None, _ms_since(started), 0, 0, 0,
                                 message="stopped during compilation"), 0, 0
            return None, 0, 0
        step = await self._start(spec, interactive=False)
        if not self.tty:
            step.proc.close_stdin()
        outcome = await step.run()
        cpu_ms, peak_kb = outcome.cpu_ms, outcome.peak_memory_kb
        if outcome.sandbox_error:
            return self._result(Status.SANDBOX_ERROR, outcome, started, cpu_ms,
                                peak_kb, message=outcome.sandbox_error), cpu_ms, peak_kb
        if step.reason == "killed":
            return self._result(Status.KILLED, outcome, started, cpu_ms, peak_kb,
                                message="stopped during compilation"), cpu_ms, peak_kb
        if outcome.exit_code != 0 or step.reason is not None:
            text = (step.output("tty") + step.output("stdout")
                    + step.output("stderr")).decode("utf-8", "replace").strip()
            return self._result(
                Status.COMPILE_ERROR, outcome, started, cpu_ms, peak_kb,
                message=compile_failure(outcome, step.reason, climits, text),
            ), cpu_ms, peak_kb
        if build_cache.capacity():
            kept = await asyncio.to_thread(build_cache.read, build, output=step.output("tty"),
                                           max_bytes=build_cache.capacity())
            if kept is not None:
                build_cache.put(cache_key, kept)
        return None, cpu_ms, peak_kb

    async def execute(self, stdin: bytes = b"") -> RunResult:
        started = time.monotonic()
        build: str | None = None
        cpu_ms = peak_kb = 0
        try:
            if self.language.compile is not None:
                build = await self.backend.make_build_dir()
                failed, cpu_ms, peak_kb = await self._compile(build, started)
                if failed is not None:
                    return failed
            self.phase = "running"
            step = await self._start(
                self._spec(self.language.run, self.limits, build, writable=False, args=self.args),
                interactive=self.tty, on_stdout=self.on_stdout, on_stderr=self.on_stderr,
            )
            if self.tty:
                if self.pending_input:
                    step.proc.write(bytes(self.pending_input))
                if self.pending_eof:
                    step.proc.close_stdin()
                self.run_started = True
            else:
                if stdin:
                    step.proc.write(stdin)
                step.proc.close_stdin()
            outcome = await step.run()
            stderr = step.output("stderr")
            status, message = classify(outcome, step.reason, self.limits, self.language,
                                       stderr if not self.tty else step.output("tty"),
                                       typed=bytes(self.typed))
            return self._result(
                status, outcome, started, cpu_ms + outcome.cpu_ms,
                max(peak_kb, outcome.peak_memory_kb), message=message,
                stdout=step.output("tty") or step.output("stdout"), stderr=stderr,
                output_bytes=step.total,
            )
        except SandboxError as exc:
            return RunResult(Status.SANDBOX_ERROR, None, None, _ms_since(started), cpu_ms,
                             peak_kb, 0, message=str(exc))
        finally:
            self.phase = "finished"
            if build is not None:
                await self.backend.remove_build_dir(build)

    def _result(self, status: Status, outcome: StepOutcome, started: float, cpu_ms: int,
                peak_kb: int, *, message: str, stdout: bytes = b"", stderr: bytes = b"",
                output_bytes: int = 0) -> RunResult:
        ok_signal = status in (Status.OK, Status.COMPILE_ERROR)
        return RunResult(
            status=status,
            exit_code=outcome.exit_code,
            signal=None if ok_signal else outcome.signal,
            wall_ms=_ms_since(started),
            cpu_ms=cpu_ms,
            peak_memory_kb=peak_kb,
            output_bytes=output_bytes,
            stdout=stdout,
            stderr=stderr,
            message=message,
        )

    # interactive controls
    def write(self, data: bytes) -> None:
        if self.phase == "finished":
            return
        self.typed += data
        del self.typed[:-MARKER_TAIL_BYTES * 2]
        if self.run_started and self.step is not None:
            self.step.touch()
            self.step.proc.write(data)
        elif len(self.pending_input) + len(data) <= self.limits.output_bytes:
            self.pending_input += data

    def eof(self) -> None:
        if self.phase == "finished":
            return
        if self.run_started and self.step is not None:
            self.step.touch()
            self.step.proc.close_stdin()
        else:
            self.pending_eof = True

    def resize(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        if self.step is not None and self.phase != "finished":
            self.step.proc.resize(rows, cols)

    def interrupt(self) -> None:
        if self.step is None or self.phase == "finished":
            return
        if not self.run_started:
            self.stop()
        else:
            self.step.touch()
            self.step.proc.signal_program(signal.SIGINT)

    def stop(self) -> None:
        self.stopped = True
        if self.step is not None:
            self.step.stop("killed")


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
