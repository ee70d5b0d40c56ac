"""Run students' programs in the configured sandbox: the only API the project calls.

Everything here is asyncio and never blocks the event loop for longer than a process
spawn. A run is an optional compile step followed by the run step, each in its own
fresh sandbox with its own limits; see ``docs/sandbox.md``.

    result = await run_batch(language="python", files=[("main.py", "print(1)")])

    run = await start_interactive(language="python", files=files, rows=24, cols=80)
    async for chunk in run.output():  # compile output too; ends when the program exits
        ...
    result = await run.wait()
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import signal
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import PurePosixPath

from coding.languages import Language, expand_argv, get_language
from coding.sandbox import check_backend, configured_backend_name, get_backend
from coding.sandbox.base import (
    Backend,
    InvalidRun,
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
from coding.sandbox.config import setting

__all__ = [
    "InteractiveRun",
    "InvalidRun",
    "Limits",
    "RunResult",
    "Status",
    "backend_status",
    "compile_limits",
    "default_limits",
    "run_batch",
    "start_interactive",
]

FileInput = Sequence[tuple[str, str | bytes]]

_NAME_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+\-]{0,99}$")
MAX_FILES = 64
MAX_DEPTH = 4
# After a kill, how long output pipes may take to reach EOF before we give up on them.
_DRAIN_SECONDS = 2.0


# --- limits ----------------------------------------------------------------------


def _limit_fields() -> set[str]:
    return {f.name for f in dataclasses.fields(Limits)}


def _apply(limits: Limits, overrides: object, where: str) -> Limits:
    if not overrides:
        return limits
    if not isinstance(overrides, dict):
        raise InvalidRun(f"{where} must be a dict of Limits fields")
    unknown = set(overrides) - _limit_fields()
    if unknown:
        raise InvalidRun(f"{where} has unknown limit names: {', '.join(sorted(unknown))}")
    return dataclasses.replace(limits, **overrides)


def default_limits(language: str, *, interactive: bool = False) -> Limits:
    """Run-step limits: defaults < SANDBOX_LIMITS < the language's overrides <
    SANDBOX_LANGUAGE_LIMITS[language] (< SANDBOX_INTERACTIVE_LIMITS if interactive)."""
    lang = get_language(language)
    limits = _apply(Limits(), setting("SANDBOX_LIMITS"), "SANDBOX_LIMITS")
    limits = _apply(limits, dict(lang.limits), f"{lang.name} limits")
    per_language = setting("SANDBOX_LANGUAGE_LIMITS") or {}
    limits = _apply(limits, per_language.get(lang.name), f"SANDBOX_LANGUAGE_LIMITS[{lang.name}]")
    if interactive:
        limits = _apply(
            limits, setting("SANDBOX_INTERACTIVE_LIMITS"), "SANDBOX_INTERACTIVE_LIMITS"
        )
    return limits


def compile_limits(language: str) -> Limits:
    """Compile-step limits: the run limits, the compile defaults, the language's
    compile overrides, then SANDBOX_COMPILE_LIMITS."""
    from coding.languages import _COMPILE_LIMITS

    lang = get_language(language)
    limits = _apply(default_limits(lang.name), dict(_COMPILE_LIMITS), "compile limits")
    limits = _apply(limits, dict(lang.compile_limits), f"{lang.name} compile limits")
    return _apply(limits, setting("SANDBOX_COMPILE_LIMITS"), "SANDBOX_COMPILE_LIMITS")


def backend_status() -> dict[str, object]:
    """For health checks: which backend, whether it can run, why not, cgroup mode."""
    name = configured_backend_name()
    try:
        backend, ok, message = check_backend(name)
        mode = backend.cgroup_mode()
    except SandboxError as exc:
        ok, message, mode = False, str(exc), "none"
    return {"backend": name, "available": ok, "message": message, "cgroup_mode": mode}


# --- input validation ----------------------------------------------------------------


def prepare_sources(
    files: FileInput, entry: str | None, language: Language, limits: Limits
) -> tuple[SourceFile, ...]:
    """Validate names and sizes; the entry file comes first."""
    if not files:
        raise InvalidRun("no files to run")
    if len(files) > MAX_FILES:
        raise InvalidRun(f"too many files ({len(files)} > {MAX_FILES})")
    sources: list[SourceFile] = []
    seen: set[str] = set()
    total = 0
    for name, content in files:
        parts = PurePosixPath(name).parts if name else ()
        if (
            not parts
            or len(parts) > MAX_DEPTH
            or name != "/".join(parts)
            or not all(_NAME_PART.match(p) and p not in (".", "..") for p in parts)
        ):
            raise InvalidRun(f"invalid file name {name!r}")
        if name in seen:
            raise InvalidRun(f"duplicate file name {name!r}")
        seen.add(name)
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        total += len(data)
        sources.append(SourceFile(name=name, content=data))
    if total > limits.source_bytes:
        raise InvalidRun(f"source too large ({total} bytes > {limits.source_bytes})")
    entry = entry or sources[0].name
    if entry not in seen:
        raise InvalidRun(f"entry file {entry!r} is not among the files")
    if language.compile is not None and not entry.endswith(language.source_suffixes):
        raise InvalidRun(
            f"{language.label} entry file must end with {' or '.join(language.source_suffixes)}"
        )
    sources.sort(key=lambda f: f.name != entry)
    return tuple(sources)


# --- one step --------------------------------------------------------------------------


class _Step:
    """Drives one started step: pumps output, enforces wall/idle/output caps."""

    def __init__(
        self,
        proc: StepProcess,
        limits: Limits,
        *,
        on_output: _OutputSink | None = None,
        interactive: bool = False,
    ) -> None:
        self.proc = proc
        self.limits = limits
        self.on_output = on_output
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


class _OutputSink:
    def __init__(self, queue: asyncio.Queue[bytes | None], transcript: bytearray, cap: int):
        self.queue = queue
        self.transcript = transcript
        self.cap = cap

    def __call__(self, chunk: bytes) -> None:
        self.queue.put_nowait(chunk)
        room = self.cap - len(self.transcript)
        if room > 0:
            self.transcript += chunk[:room]


# --- classification ---------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


def classify(
    outcome: StepOutcome, reason: str | None, limits: Limits, language: Language, stderr: bytes
) -> tuple[Status, str]:
    """The one status (and human summary) for a finished run step."""
    seconds = f"{outcome.wall_ms / 1000:.2f} s"
    if outcome.sandbox_error:
        return Status.SANDBOX_ERROR, outcome.sandbox_error
    if reason == "killed":
        return Status.KILLED, "stopped"
    if reason == "output":
        return Status.OUTPUT_LIMIT, f"output limit ({_mb(limits.output_bytes)}) exceeded"
    if reason == "timeout":
        return Status.TIMEOUT, f"time limit ({limits.wall_seconds:g} s) exceeded"
    if reason == "idle":
        return Status.TIMEOUT, f"no input or output for {limits.idle_seconds or 0:g} s"
    if outcome.oom_killed or any(m.encode() in stderr for m in language.memory_error_markers):
        return Status.MEMORY_LIMIT, f"memory limit ({_mb(limits.memory_bytes)}) exceeded"
    if outcome.cpu_exceeded or outcome.signal == signal.SIGXCPU:
        return Status.TIMEOUT, f"CPU time limit ({limits.cpu_seconds:g} s) exceeded"
    if outcome.signal == signal.SIGXFSZ:
        return Status.RUNTIME_ERROR, f"file size limit ({_mb(limits.file_size_bytes)}) exceeded"
    if outcome.signal is not None:
        return Status.RUNTIME_ERROR, f"killed by signal {_signal_name(outcome.signal)}"
    if outcome.exit_code == 0:
        return Status.OK, f"exited normally in {seconds}"
    return Status.RUNTIME_ERROR, f"exited with code {outcome.exit_code}"


def _compile_failure(outcome: StepOutcome, reason: str | None, limits: Limits, text: str) -> str:
    if reason == "timeout" or outcome.cpu_exceeded or outcome.signal == signal.SIGXCPU:
        why = f"compilation exceeded the time limit ({limits.wall_seconds:g} s)"
    elif outcome.oom_killed or outcome.signal == signal.SIGKILL:
        why = f"compilation exceeded the memory limit ({_mb(limits.memory_bytes)})"
    elif reason == "output":
        why = "compiler output limit exceeded"
    else:
        return text or f"compiler exited with code {outcome.exit_code}"
    return f"{text}\n{why}" if text else why


# --- a whole run ------------------------------------------------------------------------


class _Run:
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
        sink: _OutputSink | None = None,
    ) -> None:
        self.backend = backend
        self.language = language
        self.sources = sources
        self.limits = limits
        self.tty = tty
        self.rows, self.cols = rows, cols
        self.sink = sink
        self.phase: Phase = "compiling" if language.compile else "running"
        self.step: _Step | None = None
        self.stopped = False
        self.pending_input = bytearray()
        self.pending_eof = False
        self.run_started = False  # the run step exists and got the type-ahead

    def _spec(self, argv: tuple[str, ...], limits: Limits, build: str | None, *,
              writable: bool) -> StepSpec:
        names = [f.name for f in self.sources]
        env = dict(self.language.env)
        if self.tty:
            env["TERM"] = "xterm-256color"
        return StepSpec(
            argv=expand_argv(argv, language=self.language, file_names=names,
                             entry=self.sources[0].name, limits=limits),
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

    async def _start(self, spec: StepSpec, *, interactive: bool) -> _Step:
        proc = await self.backend.start(spec)
        step = _Step(proc, spec.limits, on_output=self.sink, interactive=interactive)
        self.step = step
        if self.stopped:
            step.stop("killed")
        return step

    async def execute(self, stdin: bytes = b"") -> RunResult:
        started = time.monotonic()
        build: str | None = None
        cpu_ms = peak_kb = 0
        try:
            if self.language.compile is not None:
                build = await self.backend.make_build_dir()
                climits = compile_limits(self.language.name)
                step = await self._start(
                    self._spec(self.language.compile, climits, build, writable=True),
                    interactive=False,
                )
                if not self.tty:
                    step.proc.close_stdin()
                outcome = await step.run()
                cpu_ms, peak_kb = outcome.cpu_ms, outcome.peak_memory_kb
                if outcome.sandbox_error:
                    return self._result(Status.SANDBOX_ERROR, outcome, started, cpu_ms,
                                        peak_kb, message=outcome.sandbox_error)
                if step.reason == "killed":
                    return self._result(Status.KILLED, outcome, started, cpu_ms, peak_kb,
                                        message="stopped during compilation")
                if outcome.exit_code != 0 or step.reason is not None:
                    text = (step.output("tty") + step.output("stdout")
                            + step.output("stderr")).decode("utf-8", "replace").strip()
                    return self._result(
                        Status.COMPILE_ERROR, outcome, started, cpu_ms, peak_kb,
                        message=_compile_failure(outcome, step.reason, climits, text),
                    )
            self.phase = "running"
            step = await self._start(
                self._spec(self.language.run, self.limits, build, writable=False),
                interactive=self.tty,
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
                                       stderr if not self.tty else step.output("tty"))
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


async def run_batch(
    *,
    language: str,
    files: FileInput,
    entry: str | None = None,
    stdin: bytes = b"",
    limits: Limits | None = None,
) -> RunResult:
    """Run to completion with ``stdin`` given up front; stdout/stderr captured apart."""
    lang = get_language(language)
    limits = limits or default_limits(lang.name)
    sources = prepare_sources(files, entry, lang, limits)
    backend = get_backend()
    return await _Run(backend, lang, sources, limits, tty=False).execute(stdin)


class InteractiveRun:
    """A run inside a PTY. Consume :meth:`output` (one consumer) while it runs.

    ``phase`` is ``"compiling"``, ``"running"`` or ``"finished"``. Input written while
    compiling is delivered when the program starts, like a terminal's type-ahead.
    """

    def __init__(self, run: _Run, queue: asyncio.Queue[bytes | None],
                 transcript: bytearray) -> None:
        self._run = run
        self._queue = queue
        self._transcript = transcript
        self._task: asyncio.Task[RunResult] = asyncio.get_running_loop().create_task(
            self._main()
        )
        self.result: RunResult | None = None

    async def _main(self) -> RunResult:
        try:
            result = await self._run.execute()
            result = dataclasses.replace(result, stdout=bytes(self._transcript))
            self.result = result
            return result
        finally:
            self._queue.put_nowait(None)

    @property
    def phase(self) -> Phase:
        return self._run.phase

    async def output(self) -> AsyncIterator[bytes]:
        """Terminal output chunks (compile output included) until the program exits."""
        while True:
            chunk = await self._queue.get()
            if chunk is None:
                self._queue.put_nowait(None)  # later calls end at once
                return
            yield chunk

    def write(self, data: bytes) -> None:
        self._run.write(data)

    def resize(self, rows: int, cols: int) -> None:
        self._run.resize(max(1, min(rows, 500)), max(1, min(cols, 1000)))

    def interrupt(self) -> None:
        """Ctrl+C: SIGINT to the program's process group (stops a compilation)."""
        self._run.interrupt()

    def eof(self) -> None:
        """Ctrl+D: end of input."""
        self._run.eof()

    async def stop(self) -> RunResult:
        """Kill the run; its status is ``killed`` unless it had already ended."""
        self._run.stop()
        return await self.wait()

    async def wait(self) -> RunResult:
        return await asyncio.shield(self._task)


async def start_interactive(
    *,
    language: str,
    files: FileInput,
    entry: str | None = None,
    rows: int = 24,
    cols: int = 80,
    limits: Limits | None = None,
) -> InteractiveRun:
    """Start a run in a PTY (compile step included) and return at once."""
    lang = get_language(language)
    limits = limits or default_limits(lang.name, interactive=True)
    sources = prepare_sources(files, entry, lang, limits)
    backend = get_backend()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    transcript = bytearray()
    sink = _OutputSink(queue, transcript, limits.output_bytes)
    run = _Run(backend, lang, sources, limits, tty=True, rows=rows, cols=cols, sink=sink)
    return InteractiveRun(run, queue, transcript)
