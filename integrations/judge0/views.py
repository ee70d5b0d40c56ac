"""The Judge0 CE 1.13–compatible API under /judge0/ (docs/judge0.md): Judge0's paths,
fields, statuses and error shapes, so its clients only change the base URL."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coding import limits as run_limits
from coding.runner import default_limits
from integrations import background
from integrations import limits as key_limits
from integrations.authentication import CanExecute, CanExecuteOrRead, Judge0KeyAuthentication, key_of
from integrations.judge0 import serializers as s
from integrations.judge0 import services
from integrations.judge0.languages import all_languages, by_id
from integrations.judge0.statuses import all_statuses
from integrations.models import Submission
from observer.errors import RateLimited, api_exception_handler
from observer.json_input import MalformedJSON

VERSION = "1.13.1"
MAX_BATCH = 20


def judge0_error_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Judge0's error shapes: a 422 with each field's messages, else {"error": "..."}."""
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"error": exc.detail}
        return Response(detail, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, RequestDataTooBig):
        return Response({"error": f"the request is larger than this server takes "
                                  f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)"},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    response = api_exception_handler(exc, context)  # the project's mapping (and its log of 500s)
    message = response.data["error"]["message"] if isinstance(response.data, dict) and "error" in response.data \
        else "error"
    if isinstance(exc, exceptions.NotFound):
        message = "Not Found"
    response.data = {"error": message}
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


class Judge0Schema(AutoSchema):
    """Judge0's operations are described in their own document (/judge0/openapi.json, with
    Judge0's error shapes), not in the app's, whose every error is the standard body."""

    def is_excluded(self) -> bool:
        return self.path.startswith("/judge0/") or super().is_excluded()


class Judge0View(key_limits.KeyLimitedMixin, APIView):
    authentication_classes = [Judge0KeyAuthentication]
    schema = Judge0Schema()
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self) -> Any:
        return judge0_error_handler

    def base64_encoded(self, request: Request) -> bool:
        return str(request.query_params.get("base64_encoded", "false")).lower() == "true"


def _bool(request: Request, name: str) -> bool:
    return str(request.query_params.get(name, "false")).lower() == "true"


_BASE64 = OpenApiParameter("base64_encoded", bool, description="Fields are Base64 in the request and the answer")
_FIELDS = OpenApiParameter("fields", str, description="Comma-separated fields, or * for all")
_ERRORS = {
    401: OpenApiResponse(description='No or a bad key: `{"error": "..."}`'),
    422: OpenApiResponse(description="Each bad field with its messages, as Judge0 answers"),
    429: OpenApiResponse(description='Over the key\'s allowance: `{"error": "..."}` and Retry-After'),
}


class LanguagesView(Judge0View):
    @extend_schema(responses={200: OpenApiResponse(description="[{id, name}]"), **_ERRORS}, tags=["judge0"],
                   operation_id="judge0_languages", summary="Judge0: the languages (installed versions)")
    def get(self, request: Request) -> Response:
        return Response([language.as_dict() for language in all_languages()])


class LanguageView(Judge0View):
    @extend_schema(responses={200: OpenApiResponse(description="{id, name, is_archived, source_file, compile_cmd, "
                                                               "run_cmd}"), **_ERRORS},
                   tags=["judge0"], operation_id="judge0_language", summary="Judge0: one language")
    def get(self, request: Request, language_id: str) -> Response:
        language = by_id(int(language_id))
        if language is None:
            raise exceptions.NotFound()
        return Response(language.as_dict(detail=True))


class StatusesView(Judge0View):
    @extend_schema(responses={200: s.StatusSerializer(many=True), **_ERRORS}, tags=["judge0"],
                   operation_id="judge0_statuses", summary="Judge0: the statuses")
    def get(self, request: Request) -> Response:
        return Response(all_statuses())


class AboutView(Judge0View):
    @extend_schema(responses={200: OpenApiResponse(description="{version, homepage, source_code, maintainer}"),
                              **_ERRORS}, tags=["judge0"], operation_id="judge0_about", summary="Judge0: about")
    def get(self, request: Request) -> Response:
        return Response({"version": VERSION, "homepage": "https://github.com/", "source_code": "Observer",
                         "maintainer": "Observer (a Judge0 CE 1.13-compatible API)"})


def config_info() -> dict[str, Any]:
    """The limits that actually apply: the operator's maxima (Python's; per-language
    maxima are in docs/judge0.md and /languages' run limits)."""
    most = default_limits("python")
    conf = run_limits.config()
    return {
        "maintenance_mode": False, "enable_wait_result": True, "enable_compiler_options": False,
        "allowed_languages_for_compile_options": [], "enable_command_line_arguments": True,
        "enable_submission_delete": True, "enable_callbacks": True, "callbacks_max_tries": 0,
        "callbacks_timeout": 10.0, "enable_additional_files": True, "max_queue_size": int(conf["queue_max"]),
        "cpu_time_limit": most.cpu_seconds, "max_cpu_time_limit": most.cpu_seconds,
        "cpu_extra_time": 0.0, "max_cpu_extra_time": 0.0,
        "wall_time_limit": most.wall_seconds, "max_wall_time_limit": most.wall_seconds,
        "memory_limit": most.memory_bytes // 1024, "max_memory_limit": most.memory_bytes // 1024,
        "stack_limit": most.memory_bytes // 1024, "max_stack_limit": most.memory_bytes // 1024,
        "max_processes_and_or_threads": most.max_processes, "max_max_processes_and_or_threads": most.max_processes,
        "enable_per_process_and_thread_time_limit": False, "allow_enable_per_process_and_thread_time_limit": False,
        "enable_per_process_and_thread_memory_limit": False,
        "allow_enable_per_process_and_thread_memory_limit": False,
        "max_file_size": most.file_size_bytes // 1024, "max_max_file_size": most.file_size_bytes // 1024,
        "number_of_runs": 1, "max_number_of_runs": 1, "redirect_stderr_to_stdout": False,
        "max_extract_size": 1024, "enable_batched_submissions": True, "max_submission_batch_size": MAX_BATCH,
        "submission_cache_duration": 0.0, "use_docs_as_homepage": False,
        "enable_network": False, "allow_enable_network": False,
    }


class ConfigInfoView(Judge0View):
    @extend_schema(responses={200: OpenApiResponse(description="Judge0's configuration fields"), **_ERRORS},
                   tags=["judge0"], operation_id="judge0_config_info", summary="Judge0: the limits that apply")
    def get(self, request: Request) -> Response:
        return Response(config_info())


def _parse_body(request: Request) -> Any:
    try:
        return request.data
    except exceptions.ParseError as exc:
        raise exceptions.ParseError(str(exc.detail)) from None
    except MalformedJSON as exc:  # pragma: no cover - the parser turns it into ParseError
        raise exceptions.ParseError(str(exc)) from None


class SubmissionsView(Judge0View):
    permission_classes = [IsAuthenticated, CanExecute]

    @extend_schema(request=s.SubmissionInputSerializer, parameters=[
        _BASE64, OpenApiParameter("wait", bool, description="Answer when the run is over"), _FIELDS],
        responses={201: s.SubmissionOutputSerializer, **_ERRORS}, tags=["judge0"],
        operation_id="judge0_submission_create", summary="Judge0: create a submission")
    def post(self, request: Request) -> Response:
        key = key_of(request)
        base64_encoded = self.base64_encoded(request)
        try:
            fields = services.parse_fields(request.query_params.get("fields"))
        except services.BadFields as exc:
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        body = _parse_body(request)
        if not isinstance(body, dict):
            raise exceptions.ParseError("The body must be a JSON object.")
        data = s.SubmissionInputSerializer(data=body, context={"base64_encoded": base64_encoded})
        data.is_valid(raise_exception=True)
        key_limits.take_executions(request._request, key=key, count=1)
        submission = services.submission_create(key=key, data=dict(data.validated_data),
                                                base64_encoded=base64_encoded)
        token = submission.token
        if _bool(request, "wait"):
            submission = background.run(lambda: services.run_submission(token))
            return Response(services.answer(submission, fields=fields, base64_encoded=base64_encoded),
                            status=status.HTTP_201_CREATED)
        background.start(lambda: services.run_submission(token))
        return Response({"token": str(token)}, status=status.HTTP_201_CREATED)


def _token(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise exceptions.NotFound() from None


class SubmissionView(Judge0View):
    permission_classes = [IsAuthenticated, CanExecuteOrRead]

    def get_permissions(self) -> list[Any]:
        if self.request.method == "DELETE":
            return [IsAuthenticated(), CanExecute()]
        return list(super().get_permissions())

    def _submission(self, request: Request, token: str) -> Submission:
        found = services.submissions_of(key=key_of(request), tokens=[_token(token)])
        if not found:
            raise exceptions.NotFound()
        return next(iter(found.values()))

    @extend_schema(parameters=[_BASE64, _FIELDS], responses={200: s.SubmissionOutputSerializer, **_ERRORS},
                   tags=["judge0"], operation_id="judge0_submission", summary="Judge0: a submission")
    def get(self, request: Request, token: str) -> Response:
        try:
            fields = services.parse_fields(request.query_params.get("fields"))
        except services.BadFields as exc:
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        submission = self._submission(request, token)
        return Response(services.answer(submission, fields=fields, base64_encoded=self.base64_encoded(request)))

    @extend_schema(parameters=[_BASE64, _FIELDS], responses={200: s.SubmissionOutputSerializer, **_ERRORS},
                   tags=["judge0"], operation_id="judge0_submission_delete",
                   summary="Judge0: delete a finished submission")
    def delete(self, request: Request, token: str) -> Response:
        try:
            fields = services.parse_fields(request.query_params.get("fields"))
        except services.BadFields as exc:
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        submission = self._submission(request, token)
        if submission.status not in services.FINISHED:
            return Response({"error": f"submission cannot be deleted because its status is {submission.status} "
                                      f"({submission.get_status_display()})"}, status=status.HTTP_400_BAD_REQUEST)
        data = services.answer(submission, fields=fields, base64_encoded=self.base64_encoded(request))
        services.submission_delete(submission=submission)
        return Response(data)


class BatchView(Judge0View):
    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), CanExecute()]
        return [IsAuthenticated(), CanExecuteOrRead()]

    @extend_schema(parameters=[OpenApiParameter("tokens", str, required=True), _BASE64, _FIELDS],
                   responses={200: OpenApiResponse(description="{submissions: [submission or null]}"), **_ERRORS},
                   tags=["judge0"], operation_id="judge0_batch", summary="Judge0: several submissions")
    def get(self, request: Request) -> Response:
        try:
            fields = services.parse_fields(request.query_params.get("fields"))
        except services.BadFields as exc:
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        raw = [text.strip() for text in str(request.query_params.get("tokens", "")).split(",") if text.strip()]
        if not raw:
            raise serializers.ValidationError({"tokens": ["can't be blank"]})
        if len(raw) > MAX_BATCH:
            raise serializers.ValidationError({"tokens": [f"at most {MAX_BATCH} tokens"]})
        tokens: list[uuid.UUID | None] = []
        for text in raw:
            try:
                tokens.append(uuid.UUID(text))
            except ValueError:
                tokens.append(None)
        found = services.submissions_of(key=key_of(request), tokens=[t for t in tokens if t is not None])
        base64_encoded = self.base64_encoded(request)
        return Response({"submissions": [
            services.answer(found[t], fields=fields, base64_encoded=base64_encoded) if t in found else None
            for t in tokens
        ]})

    @extend_schema(request=s.BatchInputSerializer, parameters=[_BASE64],
                   responses={201: OpenApiResponse(description="[{token} or the item's errors]"), **_ERRORS},
                   tags=["judge0"], operation_id="judge0_batch_create", summary="Judge0: create several submissions")
    def post(self, request: Request) -> Response:
        key = key_of(request)
        body = _parse_body(request)
        if not isinstance(body, dict):
            raise exceptions.ParseError("The body must be a JSON object.")
        batch = s.BatchInputSerializer(data=body)
        batch.is_valid(raise_exception=True)
        items = batch.validated_data["submissions"]
        base64_encoded = self.base64_encoded(request)
        # Count only what will run: the valid items.
        valid = sum(1 for item in items
                    if s.SubmissionInputSerializer(data=item, context={"base64_encoded": base64_encoded}).is_valid())
        key_limits.take_executions(request._request, key=key, count=valid)
        made = services.batch_create(key=key, items=items, base64_encoded=base64_encoded)
        tokens = [entry.token for entry in made if isinstance(entry, Submission)]
        if tokens:
            background.start(lambda: services.run_many(tokens))
        return Response([{"token": str(entry.token)} if isinstance(entry, Submission) else entry for entry in made],
                        status=status.HTTP_201_CREATED)


@csrf_exempt
def judge0_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"error": "Not Found"}, status=404)


