"""One JSON shape for every API error: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
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


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        from monitoring.services import error_record

        error_record(source="api", exc=exc, request=context.get("request"))
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


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    from observer.spa import not_found_page

    if not _wants_json(request):
        return not_found_page(request)  # type: ignore[return-value]
    return api_not_found(request)


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(error_body("not_found", f"No such endpoint: {request.path}"), status=404)


def handler500(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body("server_error", "Something went wrong on the server. It has been logged."), status=500
    )
