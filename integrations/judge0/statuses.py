"""How an Observer run's outcome reads as a Judge0 status."""

from __future__ import annotations

import signal as signals

from coding.sandbox.base import RunResult, Status
from integrations.models import SubmissionStatus

_BY_SIGNAL: dict[int, SubmissionStatus] = {
    int(signals.SIGSEGV): SubmissionStatus.RUNTIME_ERROR_SIGSEGV,
    int(signals.SIGXFSZ): SubmissionStatus.RUNTIME_ERROR_SIGXFSZ,
    int(signals.SIGFPE): SubmissionStatus.RUNTIME_ERROR_SIGFPE,
    int(signals.SIGABRT): SubmissionStatus.RUNTIME_ERROR_SIGABRT,
}


def output_matches(stdout: str, expected: str) -> bool:
    """Judge0's comparison: trailing whitespace of each line and of the whole text ignored."""

    def clean(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()

    return clean(stdout) == clean(expected)


def judge0_status(result: RunResult, *, stdout: str, expected_output: str | None) -> SubmissionStatus:
    status = result.status
    if status == Status.OK:
        if expected_output is not None and not output_matches(stdout, expected_output):
            return SubmissionStatus.WRONG_ANSWER
        return SubmissionStatus.ACCEPTED
    if status == Status.TIMEOUT:
        return SubmissionStatus.TIME_LIMIT_EXCEEDED
    if status == Status.COMPILE_ERROR:
        return SubmissionStatus.COMPILATION_ERROR
    if status == Status.OUTPUT_LIMIT:
        # Judge0 writes output to a file, so too much of it ends in SIGXFSZ there.
        return SubmissionStatus.RUNTIME_ERROR_SIGXFSZ
    if status == Status.RUNTIME_ERROR:
        if result.signal is not None:
            return _BY_SIGNAL.get(result.signal, SubmissionStatus.RUNTIME_ERROR_OTHER)
        return SubmissionStatus.RUNTIME_ERROR_NZEC
    if status in (Status.MEMORY_LIMIT, Status.KILLED):
        return SubmissionStatus.RUNTIME_ERROR_OTHER
    return SubmissionStatus.INTERNAL_ERROR  # sandbox-error


def all_statuses() -> list[dict[str, object]]:
    return [{"id": status.value, "description": status.label} for status in SubmissionStatus]
