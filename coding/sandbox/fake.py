"""A backend that runs nothing, for tests of code that only needs "a run happened".

Select it with ``SANDBOX_BACKEND = "fake"``. It follows the same protocol as the real
backends (compile step then run step, batch or PTY, caps, stop, Ctrl+C) and is fully
deterministic. What the "program" does is read from the entry file:

- Output: every string literal passed to ``print(...)``, ``console.log(...)``,
  ``System.out.println(...)``, ``printf(...)``/``puts(...)`` or ``<< "..."`` is
  printed as a line, in order (simple ``\\n``/``\\t`` escapes are decoded, so every
  hello-world sample prints ``Hello, world!``). With none, it prints ``fake run``.
- Batch runs then copy stdin to stdout and exit 0.
- Interactive runs exit right after printing, unless the entry contains ``FAKE:echo``
  or ``input(`` (then it echoes what is written, as a terminal would, until ``eof()``)
  or ``FAKE:loop`` (echoes and never exits by itself: ends by stop, interrupt or
  timeout).
- Directives anywhere in the entry file:
  ``FAKE:compile-error`` (compiled languages: the compile step fails with
  ``fake compile error``), ``FAKE:exit=N`` (exit code N, message on stderr),
  ``FAKE:flood`` (prints forever, so the output cap ends it), ``FAKE:memory``
  (ends as if the kernel OOM-killed it), ``FAKE:sleep=SECONDS`` (waits before
  exiting), ``FAKE:stderr=TEXT`` (writes TEXT and a newline to stderr),
  ``FAKE:argv`` (prints the run step's argv, one ``argv: <arg>`` line each, after what
  it prints: the program's command-line arguments come last).
- Ctrl+C (``interrupt()``) ends the program with signal SIGINT; the runner's stop,
  timeouts and caps behave as with a real backend.

Reported numbers are fixed: cpu 1 ms, peak memory 1024 KB; wall time is real.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator, Sequence

from coding.sandbox.base import Backend, StepOutcome, StepProcess, StepSpec

_LITERAL = re.compile(
    r"""(?:\bprint|console\.log|System\.out\.println|\bprintf|\bputs|<<)\s*\(?\s*
        (?P<q>["'])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


def printed_lines(source: str) -> list[str]:
    """The lines the fake program prints for ``source``."""
    lines = []
    for match in _LITERAL.finditer(source):
        text = _unescape(match.group("text"))
        lines.append(text if text.endswith("\n") else text + "\n")
    return lines or ["fake run\n"]


class _Stream:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def __aiter__(self) -> AsyncIterator[bytes]:  # type: ignore[misc]
        while True:
            chunk = await self.queue.get()
            if chunk is None:
                return
            yield chunk


class FakeStepProcess(StepProcess):
    def __init__(self, spec: StepSpec) -> None:
        self.spec = spec
        self.source = spec.files[0].content.decode("utf-8", "replace") if spec.files else ""
        self.compile_step = spec.build_writable
        self.started = time.monotonic()
        names = ("tty",) if spec.tty else ("stdout", "stderr")
        self.streams = {name: _Stream() for name in names}
        self.stdin: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.done = asyncio.Event()
        self.exit_code: int | None = None
        self.signal: int | None = None
        self.oom = False
        self.task = asyncio.get_running_loop().create_task(self._main())

    # -- the "program" ----------------------------------------------------------

    def _emit(self, data: bytes, stream: str = "stdout") -> None:
        if self.spec.tty:
            self.streams["tty"].queue.put_nowait(data.replace(b"\n", b"\r\n"))
        else:
            self.streams[stream].queue.put_nowait(data)

    def _directive(self, name: str) -> str | None:
        match = re.search(rf"FAKE:{name}(?:=(\S+))?", self.source)
        if match is None:
            return None
        return match.group(1) or ""

    async def _main(self) -> None:
        try:
            self.exit_code = await self._behave()
        except asyncio.CancelledError:
            pass
        finally:
            for stream in self.streams.values():
                stream.queue.put_nowait(None)
            self.done.set()

    async def _behave(self) -> int:
        if self.compile_step:
            if self._directive("compile-error") is not None:
                self._emit(b"main: error: fake compile error\n", "stderr")
                return 1
            return 0
        if self._directive("memory") is not None:
            self.oom = True
            self.signal = signal.SIGKILL
            return 128 + signal.SIGKILL
        if self._directive("flood") is not None:
            block = (b"y" * 1023 + b"\n") * 64
            while True:
                self._emit(block)
                await asyncio.sleep(0)
        for line in printed_lines(self.source):
            self._emit(line.encode())
        if self._directive("argv") is not None:
            for arg in self.spec.argv:
                self._emit(f"argv: {arg}\n".encode())
        stderr = self._directive("stderr")
        if stderr:
            self._emit(stderr.encode() + b"\n", "stderr")
        loop_forever = self._directive("loop") is not None
        echo = not self.spec.tty or loop_forever or (
            self._directive("echo") is not None or "input(" in self.source
        )
        while echo:
            data = await self.stdin.get()
            if data is None:
                if loop_forever:
                    await asyncio.Event().wait()
                break
            self._emit(data)
        sleep = self._directive("sleep")
        if sleep:
            await asyncio.sleep(float(sleep))
        code = self._directive("exit")
        if code:
            self._emit(f"exiting with {code}\n".encode(), "stderr")
            return int(code)
        return 0

    # -- the protocol -------------------------------------------------------------

    def read_streams(self) -> Sequence[tuple[str, AsyncIterator[bytes]]]:
        return [(name, stream.__aiter__()) for name, stream in self.streams.items()]

    def write(self, data: bytes) -> None:
        if data:
            self.stdin.put_nowait(data)

    def close_stdin(self) -> None:
        self.stdin.put_nowait(None)

    def resize(self, rows: int, cols: int) -> None:
        pass

    def signal_program(self, signum: int) -> None:
        if signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL) and not self.done.is_set():
            self.signal = signum
            self.task.cancel()

    def kill(self) -> None:
        self.signal_program(signal.SIGKILL)

    async def wait(self) -> StepOutcome:
        await self.done.wait()
        code = self.exit_code
        if self.signal is not None:
            code = None
        return StepOutcome(
            exit_code=code,
            signal=self.signal,
            wall_ms=int((time.monotonic() - self.started) * 1000),
            cpu_ms=1,
            peak_memory_kb=1024,
            oom_killed=self.oom,
        )


class FakeBackend(Backend):
    name = "fake"

    def check(self) -> tuple[bool, str]:
        return True, "fake backend: nothing is executed (tests only)"

    async def start(self, spec: StepSpec) -> StepProcess:
        return FakeStepProcess(spec)
