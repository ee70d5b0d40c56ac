"""The exercise app's own API errors (rendered in the project's one error shape)."""

from rest_framework import status
from rest_framework.exceptions import APIException


class SandboxUnavailableError(APIException):
    """The sandbox cannot run programs on this server right now (the operator's health
    page says why): a 503, so that clients retry later rather than report a bug."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "sandbox_unavailable"
    default_detail = "Programs cannot run on this server right now."
