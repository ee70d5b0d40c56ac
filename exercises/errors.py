"""The exercise app's own API errors (rendered in the project's one error shape)."""

from rest_framework import status
from rest_framework.exceptions import APIException


class SandboxUnavailableError(APIException):
    """The sandbox cannot run programs on this server right now (the operator's health
    page says why): a 503, so that clients retry later rather than report a bug."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "sandbox_unavailable"
    default_detail = "Programs cannot run on this server right now."


class RunNotStartedError(APIException):
    """The run service refused a grading run: its code and message as they are, with
    the status that fits it (429 rate_limited with Retry-After, 409 concurrent_run,
    503 busy, 400 invalid)."""

    STATUSES = {"rate_limited": 429, "concurrent_run": 409, "busy": 503, "invalid": 400}

    def __init__(self, code: str, message: str) -> None:
        self.status_code = self.STATUSES.get(code, status.HTTP_500_INTERNAL_SERVER_ERROR)
        super().__init__(message, code=code)
