"""Observer's own execution API (/api/v1/executions): several files, an entry, stdin
and limits within the operator's maxima; the answer is the result, or (?async=true) an
id to poll. Each run is an `Execution` attributed to the key."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.schema import error_responses
from coding import runs
from coding.languages import LANGUAGES
from coding.models import Execution, ExecutionStatus
from coding.runner import check_args, default_limits
from coding.sandbox.base import InvalidRun, Limits
from coding.sandbox.requests import MAX_ARG_CHARS, MAX_ARGS
from integrations import async_executions, background, key_webhooks, selectors, streams
from integrations import limits as key_limits
from integrations.authentication import ApiKeyAuthentication, CanExecute, CanExecuteOrRead, key_of
from integrations.judge0.services import key_turn
from integrations.models import ApiKey, AsyncExecution
from observer import liveness
from observer.fields import StrictCharField

logger = logging.getLogger("observer.integrations")

RESULT_SECONDS = 24 * 3600  # how long a run's full output is kept for polling (the row keeps a tail)


class ExecutionFileSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    content = StrictCharField(allow_blank=True, trim_whitespace=False)


class ExecutionLimitsSerializer(serializers.Serializer):
    """Each at most the operator's maximum for the language (lower values are kept)."""

    wall_seconds = serializers.FloatField(required=False, min_value=0.1)
    cpu_seconds = serializers.FloatField(required=False, min_value=0.1)
    memory_bytes = serializers.IntegerField(required=False, min_value=16 * 1024 * 1024)
    max_processes = serializers.IntegerField(required=False, min_value=1)
    output_bytes = serializers.IntegerField(required=False, min_value=1024)
    file_size_bytes = serializers.IntegerField(required=False, min_value=0)


class ExecutionInputSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=sorted(LANGUAGES))
    files = ExecutionFileSerializer(many=True, min_length=1, max_length=64)  # type: ignore[call-arg]
    entry = StrictCharField(required=False, max_length=200, help_text="Default: the first file")
    stdin = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    args = serializers.ListField(
        child=StrictCharField(allow_blank=True, trim_whitespace=False, max_length=MAX_ARG_CHARS),
        required=False, default=list, max_length=MAX_ARGS,
        help_text=f"The program's command-line arguments, each one argv entry as given (no shell): at most "
                  f"{MAX_ARGS}, {MAX_ARG_CHARS} characters each, 16384 together")
    limits = ExecutionLimitsSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        most = default_limits(attrs["language"])
        over = {name: [f"at most {getattr(most, name)}"] for name, value in (attrs.get("limits") or {}).items()
                if value > getattr(most, name)}
        if over:
            raise serializers.ValidationError({"limits": over})
        return attrs


class ExecutionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=ExecutionStatus.choices)
    exit_code = serializers.IntegerField(allow_null=True)
    signal = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()
    stdout = serializers.CharField(allow_null=True, help_text="Whole output (kept a day); else the row's tail")
    stderr = serializers.CharField(allow_null=True)
    wall_ms = serializers.IntegerField(allow_null=True)
    cpu_ms = serializers.IntegerField(allow_null=True)
    peak_memory_kb = serializers.IntegerField(allow_null=True)
    queue_wait_ms = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class AcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()


SERVER_STOPPED = AsyncExecution.State.SERVER_STOPPED.value
SERVER_STOPPED_MESSAGE = ("The server running this execution stopped (a restart or a crash) before it finished; "
                          "send it again.")
STOPPED_ERROR = {"code": SERVER_STOPPED, "message": SERVER_STOPPED_MESSAGE}


def _pending_key(ticket: uuid.UUID | str) -> str:
    return f"integrations:execution:{uuid.UUID(str(ticket))}"


async def execute(*, key_id: uuid.UUID, ticket: uuid.UUID, data: dict[str, Any], live: bool = False
                  ) -> dict[str, Any]:
    """Run to the end; the answer (or why it never ran) is kept under the ticket and
    reported (`async_executions.report_end`). `live` (an ?async=true run, its AsyncExecution the ticket):
    its frames go to the ticket's stream sockets as they come (integrations.streams)."""
    language = data["language"]
    files = [(f["name"], f["content"]) for f in data["files"]]
    limits: Limits = dataclasses.replace(default_limits(language), **(data.get("limits") or {}))
    spec = runs.RunSpec(language=language, entry=data.get("entry") or files[0][0], files=files, principal=None,
                        principal_key=f"k:{key_id}", interactive=False, stdin=data.get("stdin", "").encode("utf-8"),
                        args=tuple(data.get("args") or ()), limits=limits, replaces=False, counted=False,
                        api_key_id=key_id, stream_stdout=live, stream_stderr=live)
    sink = streams.ExecutionStream(ticket, live=live)
    async with key_turn(spec.principal_key):  # one run of a key at a time (see judge0.services.key_turn)
        outcome = await runs.run_to_end(spec, sink)
    if outcome.execution is None:
        answer: dict[str, Any] = {"id": str(ticket), "key": str(key_id), "status": "rejected",
                                  "error": sink.refusal or {}}
    else:
        result = outcome.result
        answer = {"id": str(outcome.execution.pk), "key": str(key_id),
                  "stdout": result.stdout.decode("utf-8", "replace") if result else None,
                  "stderr": result.stderr.decode("utf-8", "replace") if result else None}
    await sync_to_async(cache.set, thread_sensitive=False)(_pending_key(ticket), answer, RESULT_SECONDS)
    if answer["id"] != str(ticket):  # the whole output, under the run's own id too
        await sync_to_async(cache.set, thread_sensitive=False)(_pending_key(uuid.UUID(answer["id"])), answer,
                                                                RESULT_SECONDS)
    await sink.done()
    try:  # never fails the run
        delivery = await database_sync_to_async(async_executions.report_end)(
            key_id=key_id, ticket=ticket if live else None, answer=answer)
    except Exception:
        logger.exception("the end of execution %s was not recorded", ticket)
    else:
        if delivery is not None:
            key_webhooks.try_soon(delivery.pk)
    return answer


def stored_answer(*, key: ApiKey, execution_id: uuid.UUID | str) -> tuple[str, dict[str, Any]] | None:
    """Where one of the key's executions stands: ("result", the execution as GET answers
    it), ("rejected", the refusal's error, or server_stopped), ("queued", {id, status});
    None when it is not the key's (or nothing). Read by the GET view, the stream socket and
    the key's webhook (integrations.key_webhooks)."""
    execution = selectors.key_execution(key=key, execution_id=execution_id)
    if execution is not None:
        return "result", _execution_answer(execution, cache.get(_pending_key(execution_id)))
    ticket = selectors.key_async_execution(key=key, ticket=execution_id)
    if ticket is not None and ticket.state == AsyncExecution.State.SERVER_STOPPED:
        return "rejected", dict(STOPPED_ERROR)  # what its webhook said, whatever a late run stored
    pending = cache.get(_pending_key(execution_id))
    if isinstance(pending, dict) and pending.get("key") == str(key.pk):
        if pending.get("status") == "rejected":
            return "rejected", dict(pending.get("error") or {})
        if "stdout" in pending:  # finished under another id: the run's own
            finished = selectors.key_execution(key=key, execution_id=pending["id"])
            return None if finished is None else ("result", _execution_answer(finished, pending))
    if ticket is None:
        return None
    if ticket.execution_id is not None:  # its whole output's day is over: the row's tail
        finished = selectors.key_execution(key=key, execution_id=ticket.execution_id)
        return None if finished is None else ("result", _execution_answer(finished, None))
    if ticket.state != AsyncExecution.State.QUEUED:
        return None  # a refusal past its day
    if liveness.is_alive(ticket.owner) is False:
        # The process running it stopped: it will never finish (the sweep ends it so, and
        # sends its webhook; its Execution row, if the program had started, is coding.sweeper's).
        return "rejected", dict(STOPPED_ERROR)
    return "queued", {"id": str(execution_id), "status": "queued"}


def _execution_answer(execution: Execution, output: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": str(execution.pk), "language": execution.language, "status": execution.status,
        "exit_code": execution.exit_code, "signal": execution.signal, "message": execution.message,
        "stdout": (output or {}).get("stdout", execution.output_tail), "stderr": (output or {}).get("stderr"),
        "wall_ms": execution.wall_ms, "cpu_ms": execution.cpu_ms, "peak_memory_kb": execution.peak_memory_kb,
        "queue_wait_ms": execution.queue_wait_ms, "created_at": execution.created_at,
        "finished_at": execution.finished_at,
    }


def _refused(error: dict[str, Any]) -> Response:
    from observer.errors import error_body

    code = str(error.get("code") or "server_error")
    http = {"rate_limited": 429, "busy": 503, "invalid": 400, "concurrent_run": 409,
            SERVER_STOPPED: 503}.get(code, 500)
    details = {k: v for k, v in error.items() if k not in ("code", "message")}
    response = Response(error_body(code, str(error.get("message") or "The run did not start."), details),
                        status=http)
    if "retry_after" in details:
        response["Retry-After"] = str(details["retry_after"])
    return response


class ExecutionsView(key_limits.KeyLimitedMixin, APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated, CanExecute]

    @extend_schema(request=ExecutionInputSerializer, parameters=[
        OpenApiParameter("async", bool, description="Answer 202 with an id at once; poll GET .../{id}")],
        responses={200: ExecutionOutputSerializer, 202: AcceptedSerializer, **error_responses(409, 429)},
        tags=["executions"], summary="Run code (API key with the execute scope)")
    def post(self, request: Request) -> Response:
        key = key_of(request)
        data = ExecutionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        checked = dict(data.validated_data)
        checked["files"] = [dict(f) for f in checked["files"]]
        checked["limits"] = dict(checked.get("limits") or {})
        _check_files(checked)
        key_limits.take_executions(request._request, key=key, count=1)
        ticket, key_id = uuid.uuid4(), key.pk
        if str(request.query_params.get("async", "false")).lower() == "true":
            liveness.ensure_alive()  # this process runs it: a ticket it leaves queued is told apart
            async_executions.record(ticket=ticket, key=key, owner=liveness.PROCESS)
            background.start(lambda: execute(key_id=key_id, ticket=ticket, data=checked, live=True))
            return Response({"id": str(ticket), "status": "queued"}, status=status.HTTP_202_ACCEPTED)
        answer = background.run(lambda: execute(key_id=key_id, ticket=ticket, data=checked))
        if answer.get("status") == "rejected":
            return _refused(answer.get("error") or {})
        execution = selectors.key_execution(key=key, execution_id=answer["id"])
        if execution is None:  # recorded by the run just now: it is there
            raise Http404
        return Response(_execution_answer(execution, answer))


def _check_files(data: dict[str, Any]) -> None:
    """The run service's own checks (names, sizes, entry), as a 400 before anything is counted."""
    from coding.languages import get_language
    from coding.runner import prepare_sources

    try:
        lang = get_language(data["language"])
        limits = dataclasses.replace(default_limits(lang.name), **data["limits"])
        prepare_sources([(f["name"], f["content"]) for f in data["files"]], data.get("entry"), lang, limits)
    except InvalidRun as exc:
        raise serializers.ValidationError({"files": [str(exc)]}) from None
    try:
        check_args(data.get("args") or ())
    except InvalidRun as exc:
        raise serializers.ValidationError({"args": [str(exc)]}) from None


class ExecutionView(key_limits.KeyLimitedMixin, APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated, CanExecuteOrRead]

    @extend_schema(responses={200: ExecutionOutputSerializer, 202: AcceptedSerializer, **error_responses(429)},
                   tags=["executions"],
                   summary="An execution of this key (202 while it waits to start)")
    def get(self, request: Request, execution_id: uuid.UUID) -> Response:
        stored = stored_answer(key=key_of(request), execution_id=execution_id)
        if stored is None:
            raise Http404
        state, body = stored
        if state == "rejected":
            return _refused(body)
        return Response(body, status=status.HTTP_202_ACCEPTED if state == "queued" else status.HTTP_200_OK)


