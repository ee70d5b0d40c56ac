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
import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence

from coding.languages import get_language
from coding.sandbox import check_backend, configured_backend_name, get_backend_async
from coding.sandbox.base import InvalidRun, Limits, Phase, RunResult, SandboxError, Status
from coding.sandbox.classify import classify
from coding.sandbox.execution import Execution, OutputSink
from coding.sandbox.requests import (
    FileInput,
    check_args,
    compile_limits,
    default_limits,
    prepare_sources,
    valid_file_name,
)

__all__ = [
    "BatchRun",
    "InteractiveRun",
    "InvalidRun",
    "Limits",
    "RunResult",
    "Status",
    "backend_status",
    "check_args",
    "classify",
    "compile_limits",
    "default_limits",
    "prepare_sources",
    "run_batch",
    "start_batch",
    "start_interactive",
    "valid_file_name",
]

def backend_status() -> dict[str, object]:
    """For health checks: which backend, whether it can run, why not, cgroup mode, and
    which protections it applies on this host (``[{"name", "state", "detail"}]``)."""
    name = configured_backend_name()
    protections: list[dict[str, str]] = []
    try:
        backend, ok, message = check_backend(name)
        mode = backend.cgroup_mode()
        protections = [protection.as_dict() for protection in backend.protections()]
    except SandboxError as exc:
        ok, message, mode = False, str(exc), "none"
    return {"backend": name, "available": ok, "message": message, "cgroup_mode": mode,
            "protections": protections}


async def run_batch(
    *,
    language: str,
    files: FileInput,
    entry: str | None = None,
    stdin: bytes = b"",
    limits: Limits | None = None,
    args: Sequence[str] = (),
) -> RunResult:
    """Run to completion with ``stdin`` given up front; stdout/stderr captured apart."""
    run = await start_batch(language=language, files=files, entry=entry, stdin=stdin, limits=limits, args=args)
    return await run.wait()


class BatchRun:
    """A run with its input given up front and its output captured (stdout and stderr
    apart): started by :func:`start_batch`, its result from :meth:`wait`."""

    def __init__(self, run: Execution, stdin: bytes) -> None:
        self._run = run
        self._task: asyncio.Task[RunResult] = asyncio.get_running_loop().create_task(run.execute(stdin))

    @property
    def phase(self) -> Phase:
        return self._run.phase

    async def stop(self) -> RunResult:
        self._run.stop()
        return await self.wait()

    async def wait(self) -> RunResult:
        return await asyncio.shield(self._task)


async def start_batch(
    *,
    language: str,
    files: FileInput,
    entry: str | None = None,
    stdin: bytes = b"",
    limits: Limits | None = None,
    on_stdout: Callable[[bytes], None] | None = None,
    on_stderr: Callable[[bytes], None] | None = None,
    args: Sequence[str] = (),
) -> BatchRun:
    """Start a batch run (compile step included) and return at once; raises InvalidRun
    (before anything starts) or SandboxError. `on_stdout`/`on_stderr`: the program's
    output as it comes (a harness reporting test by test, a stream); the result has all
    of it too. `args`: the program's command-line arguments (each one argv entry)."""
    lang = get_language(language)
    limits = limits or default_limits(lang.name)
    sources = prepare_sources(files, entry, lang, limits)
    arguments = check_args(args)
    backend = await get_backend_async()
    return BatchRun(Execution(backend, lang, sources, limits, tty=False, on_stdout=on_stdout, on_stderr=on_stderr,
                              args=arguments), stdin)


class InteractiveRun:
    """A run inside a PTY. Consume :meth:`output` (one consumer) while it runs.

    ``phase`` is ``"compiling"``, ``"running"`` or ``"finished"``. Input written while
    compiling is delivered when the program starts, like a terminal's type-ahead.
    """

    def __init__(self, run: Execution, queue: asyncio.Queue[bytes | None],
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
    args: Sequence[str] = (),
) -> InteractiveRun:
    """Start a run in a PTY (compile step included) and return at once."""
    lang = get_language(language)
    limits = limits or default_limits(lang.name, interactive=True)
    sources = prepare_sources(files, entry, lang, limits)
    arguments = check_args(args)
    backend = await get_backend_async()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    transcript = bytearray()
    sink = OutputSink(queue, transcript, limits.output_bytes)
    run = Execution(backend, lang, sources, limits, tty=True, rows=rows, cols=cols, sink=sink, args=arguments)
    return InteractiveRun(run, queue, transcript)
