"""One JSON shape for every API error: {"error": {"code", "message", "details"}}.

DRF views reach it through `api_exception_handler`; everything else under /api/ (plain
Django views, CSRF failures, bad Host headers, DEBUG's HTML pages) through
`ApiErrorMiddleware` and the handler views below. Other paths get small HTML pages
from templates/errors/.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol

from django.core.exceptions import BadRequest, DisallowedHost, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, UnreadablePostError
from django.template import loader
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("observer.errors")


class RateLimited(exceptions.APIException):
    """Too many attempts; carries how many seconds until the window resets."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(message or f"Too many attempts. Try again in {self.retry_after} seconds.")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class SessionEnded(Conflict):
    """The session has ended, so it takes no more writes, joins or runs: a 409
    `session_ended` over HTTP, an error frame with that code on a socket."""

    default_code = "session_ended"
    default_detail = "This session has ended."
    code = default_code

    @property
    def message(self) -> str:
        return str(self.detail)


class FileTooLarge(exceptions.APIException):
    """A file over the size cap: a 400 with its own code, so clients can say why."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "file_too_large"
    default_detail = "The file is too large."


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
    return str(detail)


def _codes(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    # simplejwt's errors carry {"detail": ..., "code": ...}
    if isinstance(codes, dict) and isinstance(codes.get("code"), str):
        return str(codes["code"])
    return exc.default_code if isinstance(exc.default_code, str) else "invalid"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request is too large."


def _as_api_exception(exc: Exception) -> Exception:
    """Django's own exceptions about the request, as the API answers them. DRF reads
    the body while the view runs, so these reach here and not ApiErrorMiddleware."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return RequestTooLarge(f"The request body is larger than the server takes ({limit} bytes).")
    if isinstance(exc, SuspiciousOperation | BadRequest | UnreadablePostError):
        return exceptions.ParseError("The request could not be read.", code="bad_request")
    return exc


class ErrorRecorder(Protocol):
    def __call__(self, *, source: str, exc: BaseException | None = ..., request: Any = ...,
                 details: dict[str, Any] | None = ...) -> object: ...


# Where unexpected errors go for the operator: the monitoring app registers its error
# list here (MonitoringConfig.ready), so that this base package depends on no app.
_error_recorder: ErrorRecorder | None = None


def set_error_recorder(recorder: ErrorRecorder | None) -> None:
    global _error_recorder
    _error_recorder = recorder


def record_error(*, source: str, exc: BaseException | None = None, request: Any = None,
                 details: dict[str, Any] | None = None) -> None:
    """An unexpected error, into the operator's error list (if an app registered one).
    Never raises (it runs inside error handling)."""
    recorder = _error_recorder
    if recorder is None:
        return
    try:
        recorder(source=source, exc=exc, request=request, details=details)
    except Exception:
        logger.exception("could not record an error")


async def record_error_async(exc: BaseException, **details: Any) -> None:
    """An unexpected error in a socket or a background task, into the operator's error list
    (source "websocket"; the details that are set, as text). Never raises."""
    from channels.db import database_sync_to_async

    def write() -> None:
        record_error(source="websocket", exc=exc, details={k: str(v) for k, v in details.items() if v is not None})

    with contextlib.suppress(Exception):
        await database_sync_to_async(write)()


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        record_error(source="api", exc=exc, request=context.get("request"))
        return Response(
            error_body("server_error", "Something went wrong on the server. It has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)
    details: Any = {}
    if isinstance(exc, exceptions.ValidationError):
        code, message, details = "invalid", _first_message(exc.detail), exc.detail
    elif isinstance(exc.detail, dict) and "detail" in exc.detail:
        code, message = _codes(exc), str(exc.detail["detail"])
        details = {k: v for k, v in exc.detail.items() if k not in ("detail", "code")}
    else:
        code, message = _codes(exc), _first_message(exc.detail)
    if isinstance(exc, RateLimited):
        details = {"retry_after": exc.retry_after}
        response["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, exceptions.Throttled) and getattr(exc, "wait", None) is not None:
        details = {"retry_after": math.ceil(exc.wait)}  # type: ignore[attr-defined]
    response.data = error_body(code, message, details)
    return response


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: invalid, not_found, rate_limited, ...")
    message = serializers.CharField(help_text="A sentence for people.")
    details = serializers.DictField(help_text="Field errors for `invalid`; `retry_after` for `rate_limited`.")


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (for the OpenAPI document)."""

    error = ErrorDetailSerializer()


# --- Outside DRF ------------------------------------------------------------------

_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("request_too_large", "The request is too large."),
    429: ("rate_limited", "Too many requests."),
    500: ("server_error", "Something went wrong on the server. It has been logged."),
}
# Headers a replaced error response keeps.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _wants_json(request: HttpRequest) -> bool:
    return is_api(request) or "application/json" in request.headers.get("Accept", "")


def json_error(status_code: int, code: str | None = None, message: str | None = None) -> JsonResponse:
    default_code, default_message = _CODES.get(status_code) or (
        _CODES[500] if status_code >= 500 else ("error", _phrase(status_code))
    )
    return JsonResponse(error_body(code or default_code, message or default_message), status=status_code)


def _phrase(status_code: int) -> str:
    try:
        return f"{HTTPStatus(status_code).phrase}."
    except ValueError:
        return "The request failed."


def html_error(request: HttpRequest | None, status_code: int, template: str, **context: Any) -> HttpResponse:
    """A small page from templates/errors/; rendered without context processors, so it
    works whatever else failed."""
    return HttpResponse(loader.render_to_string(f"errors/{template}", context), status=status_code)


def rate_limited_page(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = html_error(request, 429, "429.html", retry_after=exc.retry_after)
    response["Retry-After"] = str(exc.retry_after)
    return response


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return json_error(400) if _wants_json(request) else html_error(request, 400, "400.html")


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return json_error(403) if _wants_json(request) else html_error(request, 403, "403.html")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return api_not_found(request) if _wants_json(request) else html_error(request, 404, "404.html")


def handler500(request: HttpRequest) -> HttpResponse:
    return json_error(500) if _wants_json(request) else html_error(request, 500, "500.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW. The API authenticates with bearer tokens, so its own views never
    check CSRF; this answers the few plain views that do, and the admin's forms."""
    if _wants_json(request):
        return json_error(403, "csrf_failed", "CSRF verification failed; reload the page and try again.")
    from django.conf import settings

    return html_error(request, 403, "403_csrf.html", debug_reason=reason if settings.DEBUG else "")


@csrf_exempt  # an unknown path must answer 404 whatever the method, not a CSRF 403
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    message = f"No such endpoint: {request.path}"
    from django.urls import Resolver404, resolve

    alternative = request.path[:-1] if request.path.endswith("/") else request.path + "/"
    try:
        if resolve(alternative).func is not api_not_found:
            message += f" (did you mean {alternative}?)"
    except Resolver404:
        pass
    return json_error(404, "not_found", message)


class ApiErrorMiddleware:
    """Keeps /api/ answers JSON where Django itself would answer HTML: a Host header not in
    ALLOWED_HOSTS, an exception in a plain view (in DEBUG too: no debug pages), and any
    other non-JSON error response. Put it right after the latency middleware (sync only:
    WhiteNoise below it is too, so the stack switches to sync here either way)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_api(request):
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost:
            logging.getLogger("django.security.DisallowedHost").warning("Invalid Host header on %s", request.path)
            return json_error(400, "bad_request", "This server does not answer to that Host header.")
        response = self.get_response(request)
        if response.status_code >= 400 and "json" not in response.get("Content-Type", ""):
            data = getattr(response, "data", None)  # DRF's browsable API (DEBUG) rendering our shape as HTML
            replaced = (
                JsonResponse(data, status=response.status_code)
                if isinstance(data, dict) and "error" in data
                else json_error(response.status_code)
            )
            for header in _KEPT_HEADERS:
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api(request):
            return None
        if isinstance(exception, Http404):
            return json_error(404)
        if isinstance(exception, DjangoPermissionDenied):
            return json_error(403)
        if isinstance(exception, RequestDataTooBig):
            return json_error(413)
        if isinstance(exception, SuspiciousOperation | BadRequest):
            return json_error(400)
        logger.error("Unhandled API error on %s", request.path, exc_info=exception)
        record_error(source="api", exc=exception, request=request)
        return json_error(500)
