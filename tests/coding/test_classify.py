"""How a finished step is classified: memory markers only for failed programs, only
at the end of their own output; compile failures named by the limit that ended them."""

from __future__ import annotations

import signal

from coding.languages import get_language
from coding.sandbox.base import Limits, Status, StepOutcome
from coding.sandbox.classify import MARKER_TAIL_BYTES, classify, compile_failure

PY_OOM = (b'Traceback (most recent call last):\n  File "/work/main.py", line 3, in <module>\n'
          b"    blocks.append(bytearray(8 * 1024 * 1024))\nMemoryError\n")


def outcome(**fields: object) -> StepOutcome:
    values: dict[str, object] = {"exit_code": 0, "signal": None, "wall_ms": 5, "cpu_ms": 1,
                                 "peak_memory_kb": 1}
    values.update(fields)
    return StepOutcome(**values)  # type: ignore[arg-type]


def status(result: StepOutcome, stderr: bytes, language: str = "python", typed: bytes = b"") -> Status:
    return classify(result, None, Limits(), get_language(language), stderr, typed=typed)[0]


def test_it_ignores_memory_markers_when_the_program_exited_normally() -> None:
    assert status(outcome(), PY_OOM) == Status.OK
    java = b'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n'
    assert status(outcome(), java, "java") == Status.OK
    assert status(outcome(exit_code=1), java, "java") == Status.MEMORY_LIMIT


def test_it_reads_a_marker_only_at_the_start_of_a_line_in_the_tail() -> None:
    assert status(outcome(exit_code=1), PY_OOM) == Status.MEMORY_LIMIT
    mentioned = b"ValueError: invalid literal for int() with base 10: 'MemoryError'\n"
    assert status(outcome(exit_code=1), mentioned) == Status.RUNTIME_ERROR
    long_after = PY_OOM + b"x" * MARKER_TAIL_BYTES
    assert status(outcome(exit_code=1), long_after) == Status.RUNTIME_ERROR
    node = (b"<--- JS stacktrace --->\n\nFATAL ERROR: Reached heap limit Allocation failed - "
            b"JavaScript heap out of memory\n" + b" 1: 0xb78db3 node::OOMErrorHandler\n" * 20)
    assert status(outcome(exit_code=None, signal=signal.SIGABRT), node, "javascript") == (
        Status.MEMORY_LIMIT
    )


def test_it_does_not_count_the_echo_of_what_the_user_typed() -> None:
    # input() without a prompt: the terminal echoes "MemoryError" at the start of a line.
    transcript = (b"MemoryError\r\nTraceback (most recent call last):\r\n"
                  b"ValueError: invalid literal for int() with base 10: 'MemoryError'\r\n")
    assert status(outcome(exit_code=1), transcript, typed=b"MemoryError\r") == Status.RUNTIME_ERROR
    real = b"MemoryError\r\n" + PY_OOM.replace(b"\n", b"\r\n")
    assert status(outcome(exit_code=1), real, typed=b"MemoryError\r") == Status.MEMORY_LIMIT


def test_it_names_the_limit_that_stopped_a_compilation() -> None:
    limits = Limits(wall_seconds=30, cpu_seconds=20)
    killed = outcome(exit_code=None, signal=signal.SIGKILL, cpu_ms=300)
    assert compile_failure(killed, "output", limits, "warning") == (
        "warning\ncompiler output limit (1 MB) exceeded"
    )
    assert compile_failure(killed, "timeout", limits, "") == (
        "compilation exceeded the time limit (30 s)"
    )
    assert compile_failure(killed, None, limits, "") == (
        "compilation exceeded the memory limit (256 MB)"
    )
    # g++ reports its cc1plus child's SIGXCPU with exit code 4.
    spent = outcome(exit_code=4, cpu_ms=19_900)
    assert compile_failure(spent, None, limits, "g++: internal compiler error").endswith(
        "compilation exceeded the CPU time limit (20 s)"
    )
    assert compile_failure(outcome(exit_code=1), None, limits, "main.c:1: error") == "main.c:1: error"
