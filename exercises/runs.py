"""Grading runs through the run service (coding.runs): the runs-per-window limit, the
fair queue and a recorded Execution, like every other run of the deployment.

    grade = await grade_submission(..., run=queued_run(principal=user))

`queued_run` gives `grading.grade_submission` a `run` with `coding.runner.run_batch`'s
signature: one grading is one batch run of the service, whatever its number of tests.
A run the service refuses (rate limit, queue full, a second run of the same person)
raises `RunRefused` with the service's code and message.
"""

from __future__ import annotations

import uuid
from typing import Any

from accounts.principals import Principal, principal_key
from coding import runs
from coding.runner import FileInput, Limits, RunResult
from exercises.grading import RunBatch
from observer import contract


class RunRefused(Exception):
    """The run service did not start the grading run."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


class _RefusalSink(runs.NullSink):
    """Keeps the service's error (the outcome only has its code)."""

    def __init__(self) -> None:
        self.refusal: RunRefused | None = None

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.refusal = RunRefused(code, message, **extra)


def queued_run(
    *,
    principal: Principal | None,
    sink: runs.RunSink | None = None,
    participant_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    stream_stdout: bool = False,
    replaces: bool = True,
    counted: bool = True,
    api_key_id: uuid.UUID | None = None,
) -> RunBatch:
    """A `run` for grade_submission that goes through the run service as `principal`
    (whose limits and place in the queue it takes). `sink` hears the service's status
    frames (queued with a position, started, exit), for a caller that shows progress,
    and with `stream_stdout` the harness's frames as they come (test by test).
    `participant_id`/`session_id` attribute the Execution to a student of a session;
    `replaces=False` queues a principal's runs behind each other (a teacher's regrade);
    `counted=False` keeps them out of the principal's runs-per-window limit.
    `api_key_id` makes it an API key's run (a test session's; `principal` None): the key
    is the queue's principal and the Execution is attributed to it."""
    if api_key_id is not None:
        key = f"k:{api_key_id}"
    elif principal is not None:
        key = principal_key(principal)
    else:
        raise ValueError("a grading run is someone's: a principal or an API key")

    async def run(*, language: str, files: FileInput, entry: str | None = None, stdin: bytes = b"",
                  limits: Limits | None = None) -> RunResult:  # fmt: skip
        refusals = _RefusalSink()
        spec = runs.RunSpec(
            language=language, entry=entry or files[0][0], files=[(name, _text(content)) for name, content in files],
            principal=principal, principal_key=key, user_id=getattr(principal, "pk", None),
            interactive=False, stdin=stdin, limits=limits, participant_id=participant_id, session_id=session_id,
            stream_stdout=stream_stdout, replaces=replaces, counted=counted, api_key_id=api_key_id,
        )  # fmt: skip
        both: runs.RunSink = _Both(refusals, sink) if sink is not None else refusals
        outcome = await runs.run_to_end(spec, both)
        if outcome.result is None:
            raise refusals.refusal or RunRefused(outcome.refused or "server_error", "The run did not start.")
        return outcome.result

    return run


def _text(content: str | bytes) -> str:
    return content if isinstance(content, str) else content.decode("utf-8")


class _Both:
    def __init__(self, first: runs.RunSink, second: runs.RunSink) -> None:
        self.sinks = (first, second)

    def status(self, frame: contract.TerminalStatus) -> None:
        for sink in self.sinks:
            sink.status(frame)

    def output(self, data: bytes) -> None:
        for sink in self.sinks:
            sink.output(data)

    def error(self, code: str, message: str, **extra: Any) -> None:
        for sink in self.sinks:
            sink.error(code, message, **extra)
