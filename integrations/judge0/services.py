"""Judge0 submissions: made from a checked request, run through the run service (the
same limits, cap and fair queue as students: one queue place per key), read back in
Judge0's shape, and reported to a callback when they finish."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import transaction
from django.utils import timezone

from coding import runs
from coding.models import Execution
from coding.runner import default_limits
from coding.sandbox.base import Limits, RunResult, Status
from integrations import key_webhooks, webhooks
from integrations.judge0 import serializers as s
from integrations.judge0.languages import by_id
from integrations.judge0.statuses import judge0_status
from integrations.models import ApiKey, Submission, SubmissionStatus
from observer import liveness

logger = logging.getLogger("observer.integrations")

DEFAULT_FIELDS = ("token", "stdout", "time", "memory", "stderr", "compile_output", "message", "status")
ALL_FIELDS = (
    "source_code", "language_id", "stdin", "expected_output", "stdout", "status_id", "created_at", "finished_at",
    "time", "memory", "stderr", "token", "number_of_runs", "cpu_time_limit", "cpu_extra_time", "wall_time_limit",
    "memory_limit", "stack_limit", "max_processes_and_or_threads", "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit", "max_file_size", "compile_output", "exit_code", "exit_signal",
    "message", "wall_time", "compiler_options", "command_line_arguments", "redirect_stderr_to_stdout",
    "callback_url", "additional_files", "enable_network", "status", "language",
)
ENCODED_ANSWER_FIELDS = ("source_code", "stdin", "expected_output", "stdout", "stderr", "compile_output", "message")
UNFINISHED = (SubmissionStatus.IN_QUEUE, SubmissionStatus.PROCESSING)
FINISHED = frozenset(SubmissionStatus.values) - set(UNFINISHED)
# What finish() records of a run's end (the rest of the row is the request).
RESULT_FIELDS = ("status", "stdout", "stderr", "compile_output", "message", "exit_code", "exit_signal", "time",
                 "wall_time", "memory", "execution_id", "finished_at")


class BadFields(ValueError):
    """`?fields=` names fields that do not exist."""


def parse_fields(text: str | None) -> tuple[str, ...]:
    if not text:
        return DEFAULT_FIELDS
    if text.strip() == "*":
        return ALL_FIELDS
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in ALL_FIELDS]
    if unknown:
        raise BadFields(f"invalid fields: [{', '.join(unknown)}]")
    return names


# --- limits ----------------------------------------------------------------------------------


def clamped_limits(language: str, request: dict[str, Any]) -> Limits:
    """The run's limits: what was asked for, never above the operator's maxima (a
    student's batch run in that language); what was not asked for, the maxima."""
    most = default_limits(language)
    asked: dict[str, Any] = {}
    if request.get("cpu_time_limit"):
        asked["cpu_seconds"] = min(most.cpu_seconds, float(request["cpu_time_limit"]))
    if request.get("wall_time_limit"):
        asked["wall_seconds"] = min(most.wall_seconds, float(request["wall_time_limit"]))
    if request.get("memory_limit"):
        asked["memory_bytes"] = min(most.memory_bytes, int(float(request["memory_limit"]) * 1024))
    if request.get("max_processes_and_or_threads"):
        asked["max_processes"] = min(most.max_processes, int(request["max_processes_and_or_threads"]))
    if request.get("max_file_size"):
        asked["file_size_bytes"] = min(most.file_size_bytes, int(request["max_file_size"]) * 1024)
    return dataclasses.replace(most, **asked)


def limits_as_judge0(limits: Limits) -> dict[str, Any]:
    return {
        "cpu_time_limit": limits.cpu_seconds,
        "cpu_extra_time": 0.0,
        "wall_time_limit": limits.wall_seconds,
        "memory_limit": limits.memory_bytes // 1024,
        "stack_limit": limits.memory_bytes // 1024,
        "max_processes_and_or_threads": limits.max_processes,
        "max_file_size": limits.file_size_bytes // 1024,
    }


# --- create ------------------------------------------------------------------------------------


def submission_create(*, key: ApiKey, data: dict[str, Any], base64_encoded: bool) -> Submission:
    """A queued submission from a checked request (SubmissionInputSerializer's data)."""
    request = {name: value for name, value in data.items()
               if name not in ("source_code", "language_id", "stdin", "expected_output", "callback_url")
               and value is not None}
    request["base64_encoded"] = base64_encoded
    liveness.ensure_alive()  # alive before it owns the submission (integrations.sweeper ends it if it dies)
    return Submission.objects.create(
        api_key=key, language_id=data["language_id"], source_code=data["source_code"], stdin=data.get("stdin") or "",
        expected_output=data.get("expected_output"), callback_url=data.get("callback_url") or "", request=request,
        owner=liveness.PROCESS,
    )


def batch_create(*, key: ApiKey, items: Sequence[dict[str, Any]], base64_encoded: bool
                 ) -> list[Submission | dict[str, Any]]:
    """Each item checked on its own: a submission, or that item's Judge0 errors."""
    checked: list[dict[str, Any] | Exception] = []
    for item in items:
        serializer = s.SubmissionInputSerializer(data=item, context={"base64_encoded": base64_encoded})
        checked.append(dict(serializer.validated_data) if serializer.is_valid() else ValueError(serializer.errors))
    answers: list[Submission | dict[str, Any]] = []
    with transaction.atomic():
        for entry in checked:
            if isinstance(entry, Exception):
                answers.append(dict(entry.args[0]))
            else:
                answers.append(submission_create(key=key, data=entry, base64_encoded=base64_encoded))
    return answers


# --- run -------------------------------------------------------------------------------------------


class _RefusalSink(runs.NullSink):
    """Keeps why the run service refused a run (rate_limited, busy, invalid...)."""

    def __init__(self) -> None:
        self.refusal: tuple[str, str] | None = None

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.refusal = (code, message)


def _files(submission: Submission, entry: str) -> list[tuple[str, str]]:
    files = [(entry, submission.source_code)]
    extra = submission.request.get("additional_files")
    if extra:
        files += [(name, text) for name, text in s.additional_files(extra) if name != entry]
    return files


def _mark_processing(token: uuid.UUID) -> Submission:
    Submission.objects.filter(pk=token, status=SubmissionStatus.IN_QUEUE).update(status=SubmissionStatus.PROCESSING)
    return Submission.objects.select_related("api_key").get(pk=token)


def finish(submission: Submission, *, result: RunResult | None, execution: Execution | None,
           refusal: tuple[str, str] | None) -> Submission:
    """The submission as recorded once it ended: by this call (record_end), or by the
    sweep that ended it first."""
    recorded = record_end(submission, result=result, execution=execution, refusal=refusal)
    if recorded is not None:
        return recorded
    return Submission.objects.select_related("api_key").filter(pk=submission.pk).first() or submission


def record_end(submission: Submission, *, result: RunResult | None, execution: Execution | None,
               refusal: tuple[str, str] | None) -> Submission | None:
    """Record the submission's end and queue its callback and its key's webhook, once. The
    row is claimed by a conditional update (still In Queue or Processing): of the run that
    finishes and the sweep that ends it because its process died (integrations.sweeper),
    exactly one records and reports it; None for the other (or a deleted submission)."""
    if result is None:
        code, message = refusal or ("server_error", "The run did not start.")
        submission.status = SubmissionStatus.INTERNAL_ERROR
        submission.message = f"{message} ({code})"
    else:
        stdout = result.stdout.decode("utf-8", "replace")
        stderr = result.stderr.decode("utf-8", "replace")
        if submission.request.get("redirect_stderr_to_stdout"):
            stdout, stderr = stdout + stderr, ""
        submission.status = judge0_status(result, stdout=stdout, expected_output=submission.expected_output)
        submission.stdout = stdout or None
        submission.stderr = stderr or None
        if result.status == Status.COMPILE_ERROR:
            submission.compile_output, submission.message = result.message or None, None
        else:
            submission.message = None if submission.status == SubmissionStatus.ACCEPTED else (result.message or None)
        submission.exit_code = result.exit_code
        submission.exit_signal = result.signal
        submission.time = round(result.cpu_ms / 1000, 3)
        submission.wall_time = round(result.wall_ms / 1000, 3)
        submission.memory = result.peak_memory_kb
    submission.execution_id = execution.pk if execution is not None else None
    submission.finished_at = timezone.now()
    with transaction.atomic():
        claimed = Submission.objects.filter(pk=submission.pk, status__in=UNFINISHED).update(
            **{name: getattr(submission, name) for name in RESULT_FIELDS})
        if not claimed:
            return None
        if submission.callback_url:
            body = json.dumps(answer(submission, fields=DEFAULT_FIELDS,
                                     base64_encoded=bool(submission.request.get("base64_encoded"))))
            delivery = webhooks.enqueue(event="judge0.submission", url=submission.callback_url, body=body,
                                        api_key=submission.api_key)
            submission._delivery_id = delivery.pk  # type: ignore[attr-defined]
        key_delivery = key_webhooks.judge0_finished(submission)  # the key's own, beside the callback
        submission._key_delivery_id = key_delivery.pk if key_delivery else None  # type: ignore[attr-defined]
    return submission


_key_turns: dict[str, asyncio.Lock] = {}


def key_turn(principal_key: str) -> asyncio.Lock:
    """A key holds one place in the run service's queue (it may never starve a class) and
    runs one program at a time: this process runs a key's submissions one after another,
    the rest waiting here, In Queue (across processes the run service keeps them behind
    each other: RunSpec.replaces=False)."""
    return _key_turns.setdefault(principal_key, asyncio.Lock())


async def run_submission(token: uuid.UUID) -> Submission:
    """Run a queued submission to the end and record it (a task on the server's loop)."""
    submission = await database_sync_to_async(Submission.objects.get)(pk=token)
    async with key_turn(f"k:{submission.api_key_id}"):
        return await _run_submission(token)


async def _run_submission(token: uuid.UUID) -> Submission:
    submission = await database_sync_to_async(_mark_processing)(token)
    if submission.status in FINISHED:  # ended while it waited (its process taken for dead): not run
        return submission
    language = by_id(submission.language_id)
    assert language is not None  # checked when the submission was made
    lang = language.language
    sink = _RefusalSink()
    try:
        spec = runs.RunSpec(
            language=lang.name, entry=lang.entry_name, files=_files(submission, lang.entry_name), principal=None,
            principal_key=f"k:{submission.api_key_id}", interactive=False,
            stdin=submission.stdin.encode("utf-8"), limits=clamped_limits(lang.name, submission.request),
            args=s.command_line_arguments(submission.request.get("command_line_arguments")),
            # A key's submissions queue behind each other (one place at a time, across
            # processes); its own executions-per-minute limit applies, not the students'.
            replaces=False, counted=False, api_key_id=submission.api_key_id,
        )
        outcome = await runs.run_to_end(spec, sink)
    except Exception as exc:  # recorded as Judge0's Internal Error rather than left Processing
        logger.exception("judge0 submission %s failed", token)
        outcome, sink.refusal = runs.RunOutcome(refused="server_error"), ("server_error", type(exc).__name__)
    submission = await database_sync_to_async(finish)(submission, result=outcome.result,
                                                      execution=outcome.execution, refusal=sink.refusal)
    key_delivery_id = getattr(submission, "_key_delivery_id", None)
    if key_delivery_id is not None:
        key_webhooks.try_soon(key_delivery_id)
    delivery_id = getattr(submission, "_delivery_id", None)
    if delivery_id is not None:
        tried = await sync_to_async(webhooks.deliver, thread_sensitive=False)(delivery_id)
        if tried is None or tried.state == tried.State.PENDING:
            webhooks.ensure_sweeper()
    return submission


async def run_many(tokens: Iterable[uuid.UUID]) -> list[Submission]:
    return list(await asyncio.gather(*(run_submission(token) for token in tokens)))


# --- read ------------------------------------------------------------------------------------------


def _encode(value: str | None, base64_encoded: bool) -> str | None:
    if value is None or not base64_encoded:
        return value
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _when(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def answer(submission: Submission, *, fields: Sequence[str], base64_encoded: bool) -> dict[str, Any]:
    """The submission in Judge0's shape, with the fields asked for."""
    language = by_id(submission.language_id)
    request = submission.request
    limits = limits_as_judge0(clamped_limits(language.language.name, request)) if language else {}
    status = SubmissionStatus(submission.status)
    values: dict[str, Any] = {
        "token": str(submission.token),
        "source_code": submission.source_code,
        "language_id": submission.language_id,
        "language": language.as_dict() if language else None,
        "stdin": submission.stdin,
        "expected_output": submission.expected_output,
        "stdout": submission.stdout,
        "stderr": submission.stderr,
        "compile_output": submission.compile_output,
        "message": submission.message,
        "status": {"id": status.value, "description": status.label},
        "status_id": status.value,
        "created_at": _when(submission.created_at),
        "finished_at": _when(submission.finished_at),
        "time": None if submission.time is None else f"{submission.time:.3f}",
        "wall_time": None if submission.wall_time is None else f"{submission.wall_time:.3f}",
        "memory": submission.memory,
        "exit_code": submission.exit_code,
        "exit_signal": submission.exit_signal,
        "number_of_runs": 1,
        **limits,
        "enable_per_process_and_thread_time_limit": False,
        "enable_per_process_and_thread_memory_limit": False,
        "compiler_options": None,
        "command_line_arguments": request.get("command_line_arguments"),
        "redirect_stderr_to_stdout": bool(request.get("redirect_stderr_to_stdout")),
        "callback_url": submission.callback_url or None,
        "additional_files": request.get("additional_files"),
        "enable_network": False,
    }
    for name in ENCODED_ANSWER_FIELDS:
        values[name] = _encode(values[name], base64_encoded)
    return {name: values[name] for name in fields}


def submissions_of(*, key: ApiKey, tokens: Sequence[uuid.UUID]) -> dict[uuid.UUID, Submission]:
    return {sub.token: sub for sub in Submission.objects.filter(api_key=key, token__in=list(tokens))}


def submission_delete(*, submission: Submission) -> None:
    submission.delete()
