"""The sandbox protocol: frozen run specs and results, the backend interface, errors.

Only ``coding.runner`` talks to backends; everything else in the project calls the
runner. A backend turns a :class:`StepSpec` (one argv to run with limits, files and
stdin or a PTY) into a :class:`StepProcess`; the runner chains compile and run steps.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from enum import StrEnum
from typing import Literal

from coding.sandbox.policy import Protection

Phase = Literal["compiling", "running", "finished"]


class Status(StrEnum):
    """How a run ended. Every run ends with exactly one of these."""

    OK = "ok"
    RUNTIME_ERROR = "runtime-error"
    COMPILE_ERROR = "compile-error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory-limit"
    OUTPUT_LIMIT = "output-limit"
    KILLED = "killed"
    SANDBOX_ERROR = "sandbox-error"


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one step (compile or run).

    ``wall_seconds`` is the total wall time; ``idle_seconds`` (interactive runs only)
    ends a run that neither printed nor received input for that long. ``output_bytes``
    caps stdout and stderr each in batch runs and the terminal stream in interactive
    runs. ``file_size_bytes`` is both the largest file a program may write and the size
    of its writable work directory and /tmp.
    """

    wall_seconds: float = 10.0
    idle_seconds: float | None = None
    cpu_seconds: float = 5.0
    memory_bytes: int = 256 * 1024 * 1024
    max_processes: int = 64
    output_bytes: int = 1024 * 1024
    file_size_bytes: int = 10 * 1024 * 1024
    open_files: int = 256
    source_bytes: int = 1024 * 1024

    def replace(self, **changes: object) -> Limits:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """One file of a submission; ``name`` is relative (``main.py``, ``pkg/util.py``)."""

    name: str
    content: bytes


@dataclasses.dataclass(frozen=True)
class RunResult:
    """The outcome of a whole run (compile step included).

    ``message`` holds the compiler output for ``compile-error``, the reason for
    ``sandbox-error`` and a one-line human summary otherwise. In interactive runs
    ``stdout`` holds the terminal transcript (capped) and ``stderr`` is empty.
    """

    status: Status
    exit_code: int | None
    signal: int | None
    wall_ms: int
    cpu_ms: int
    peak_memory_kb: int
    output_bytes: int
    stdout: bytes = b""
    stderr: bytes = b""
    message: str = ""

    def summary(self) -> dict[str, object]:
        """The JSON-friendly part of the result (no output bytes)."""
        return {
            "status": str(self.status),
            "exit_code": self.exit_code,
            "signal": self.signal,
            "wall_ms": self.wall_ms,
            "cpu_ms": self.cpu_ms,
            "peak_memory_kb": self.peak_memory_kb,
            "output_bytes": self.output_bytes,
            "message": self.message,
        }


class SandboxError(Exception):
    """The sandbox itself failed (not the student's program)."""


class SandboxUnavailable(SandboxError):
    """The configured backend cannot run on this machine; the message says what to
    install or change."""


class InvalidRun(ValueError):
    """The request is malformed: unknown language, bad file name, source too big..."""


# --- what backends implement -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StepSpec:
    """One process to start inside a fresh sandbox.

    ``files`` land in the writable work directory (``/work``, the cwd). ``build_dir``
    names a host directory the backend mounts at ``/build``: writable for a compile
    step, read-only for the run step that follows it. ``binds`` are extra host paths
    mounted read-only at the same place (a language runtime outside /usr).
    """

    argv: tuple[str, ...]
    files: tuple[SourceFile, ...]
    limits: Limits
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    build_dir: str | None = None
    build_writable: bool = False
    binds: tuple[str, ...] = ()
    needs_runtimes: bool = False
    tty: bool = False
    rows: int = 24
    cols: int = 80
    use_address_space_limit: bool = True


@dataclasses.dataclass(frozen=True)
class StepOutcome:
    """What a backend observed about one finished step; the runner maps it to a Status."""

    exit_code: int | None
    signal: int | None
    wall_ms: int
    cpu_ms: int
    peak_memory_kb: int
    oom_killed: bool = False
    cpu_exceeded: bool = False
    sandbox_error: str = ""


class StepProcess(abc.ABC):
    """A started step. Output comes from :meth:`read_streams`; the runner enforces caps."""

    @abc.abstractmethod
    def read_streams(self) -> Sequence[tuple[str, AsyncIterator[bytes]]]:
        """``[("stdout", it), ("stderr", it)]`` for pipes, ``[("tty", it)]`` for a PTY."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Feed stdin (pipe or PTY). Never blocks; data past the buffer is queued."""

    @abc.abstractmethod
    def close_stdin(self) -> None:
        """EOF: close the stdin pipe, or send the terminal's EOF character on a PTY."""

    @abc.abstractmethod
    def resize(self, rows: int, cols: int) -> None: ...

    @abc.abstractmethod
    def signal_program(self, signum: int) -> None:
        """Signal the program's process group (Ctrl+C is SIGINT)."""

    @abc.abstractmethod
    def kill(self) -> None:
        """Kill everything the step started. Idempotent, never raises."""

    @abc.abstractmethod
    async def wait(self) -> StepOutcome:
        """Wait for the step to exit, sweep what it left, and report."""

    def release(self) -> None:  # noqa: B027 - optional hook, most steps need nothing
        """Close the step's pipes once its output has been drained (or abandoned)."""


class Backend(abc.ABC):
    """A way to start steps in isolation."""

    name: str = "abstract"

    @abc.abstractmethod
    def check(self) -> tuple[bool, str]:
        """``(available, message)``; the message says what to install when unavailable."""

    def cgroup_mode(self) -> str:
        return "none"

    def protections(self) -> list[Protection]:
        """The defences this backend applies on this host (``sandbox check``, health)."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the backend keeps between runs (bubblewrap's warm sandboxes)."""

    @abc.abstractmethod
    async def start(self, spec: StepSpec) -> StepProcess:
        """Start a step; raises :class:`SandboxError` when the sandbox cannot start."""

    def build_dir_owner(self) -> tuple[int, int] | None:
        """Host uid/gid that must own build directories (None: the server's own)."""
        return None

    async def make_build_dir(self) -> str:
        """A fresh, empty host directory for one run's compiled program."""
        from coding.sandbox import workdir

        return workdir.make_private_dir("build-", owner=self.build_dir_owner())

    async def remove_build_dir(self, path: str) -> None:
        from coding.sandbox import workdir

        await asyncio.to_thread(workdir.remove_tree, path)
