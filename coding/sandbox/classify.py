"""The one status a finished step ends with, and its human summary."""

from __future__ import annotations

import re
import signal

from coding.error_lines import runtime_error_line
from coding.languages import Language
from coding.sandbox.base import Limits, Status, StepOutcome


def _mb(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:g} KB"
    return f"{n / (1024 * 1024):g} MB"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


# How much of the end of a failed program's stderr (or terminal) is searched for a
# runtime's out-of-memory line: Node's native stack trace after it is ~2 KB.
MARKER_TAIL_BYTES = 8192


def memory_marker_found(language: Language, output: bytes, typed: bytes = b"") -> bool:
    """Whether the tail of ``output`` has a line where the runtime says it ran out of
    memory. ``typed`` is what the user typed into a terminal run: its echo is in the
    transcript too, so a marker only counts if the output has more of them than the
    typing could explain."""
    if not language.memory_error_markers:
        return False
    tail = output[-MARKER_TAIL_BYTES:].decode("utf-8", "replace")
    typed_text = typed.decode("utf-8", "replace").replace("\r", "\n")
    for marker in language.memory_error_markers:
        pattern = re.compile(f"^{marker}", re.MULTILINE)
        if len(pattern.findall(tail)) > len(pattern.findall(typed_text)):
            return True
    return False


def classify(
    outcome: StepOutcome, reason: str | None, limits: Limits, language: Language, stderr: bytes,
    *, typed: bytes = b"",
) -> tuple[Status, str]:
    """The one status (and human summary) for a finished run step. ``stderr`` is the
    program's stderr (batch) or the terminal transcript (interactive, with ``typed``
    the user's input)."""
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
    failed = outcome.signal is not None or outcome.exit_code != 0
    if outcome.oom_killed or (failed and memory_marker_found(language, stderr, typed)):
        return Status.MEMORY_LIMIT, f"memory limit ({_mb(limits.memory_bytes)}) exceeded"
    if outcome.cpu_exceeded or outcome.signal == signal.SIGXCPU:
        return Status.TIMEOUT, f"CPU time limit ({limits.cpu_seconds:g} s) exceeded"
    if outcome.signal == signal.SIGXFSZ:
        return Status.RUNTIME_ERROR, f"file size limit ({_mb(limits.file_size_bytes)}) exceeded"
    if outcome.signal is not None:
        return Status.RUNTIME_ERROR, f"killed by signal {_signal_name(outcome.signal)}"
    if outcome.exit_code == 0:
        return Status.OK, f"exited normally in {seconds}"
    # The runtime's own line for the error ("SyntaxError: expected ':'") says more than the code.
    named = runtime_error_line(language, stderr[-MARKER_TAIL_BYTES:], typed)
    return Status.RUNTIME_ERROR, named or f"exited with code {outcome.exit_code}"


def compile_failure(outcome: StepOutcome, reason: str | None, limits: Limits, text: str) -> str:
    """The compile-error message: the compiler's output, then which limit stopped it.

    Order matters: a step killed for its output cap or its wall time also ends by
    SIGKILL, which otherwise means the kernel's OOM killer. A compiler whose own
    child hit RLIMIT_CPU (cc1plus) exits with an error code, so CPU is judged by the
    time used too."""
    cpu_spent = outcome.cpu_ms >= limits.cpu_seconds * 1000 * 0.95
    if reason == "output":
        why = f"compiler output limit ({_mb(limits.output_bytes)}) exceeded"
    elif reason == "timeout":
        why = f"compilation exceeded the time limit ({limits.wall_seconds:g} s)"
    elif outcome.cpu_exceeded or outcome.signal == signal.SIGXCPU or cpu_spent:
        why = f"compilation exceeded the CPU time limit ({limits.cpu_seconds:g} s)"
    elif outcome.oom_killed or outcome.signal == signal.SIGKILL:
        why = f"compilation exceeded the memory limit ({_mb(limits.memory_bytes)})"
    else:
        return text or f"compiler exited with code {outcome.exit_code}"
    return f"{text}\n{why}" if text else why
