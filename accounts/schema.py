"""OpenAPI extensions: the guest token scheme, and the standard error responses every
operation declares (DEFAULT_SCHEMA_CLASS)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny, IsAuthenticated

from observer.errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input (`invalid`, with `details` per field) or a malformed body.",
    401: "No, an expired or an invalid token (`not_authenticated`, `token_not_valid`).",
    403: "Not allowed for this caller (`permission_denied`).",
    404: "No such object, or one the caller has no part in (`not_found`).",
    409: "Conflicts with the current state (`conflict`, `session_ended`, `session_full`).",
    429: "Too many attempts (`rate_limited`, `details.retry_after`); see the Retry-After header.",
}
# Errors beyond the defaults that operations of other apps answer (the services raise
# Conflict and RateLimited). A view may instead declare them itself with error_responses().
OPERATION_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/api/join"): (403, 404, 409, 429),
    ("GET", "/api/sessions/current"): (404,),
    ("POST", "/api/sessions/{session_id}/start"): (409,),
    ("POST", "/api/sessions/{session_id}/reopen"): (409,),
    ("POST", "/api/sessions/{session_id}/push"): (409,),
    ("POST", "/api/participants/{participant_id}/help"): (409,),
    ("POST", "/api/help/{help_id}/claim"): (409,),
    ("POST", "/api/help/{help_id}/resolve"): (409,),
    ("POST", "/api/help/{help_id}/cancel"): (409,),
    ("POST", "/api/participants/{participant_id}/files/"): (409,),
    ("PATCH", "/api/participants/{participant_id}/files/{file_id}/"): (409,),
    ("DELETE", "/api/participants/{participant_id}/files/{file_id}/"): (409,),
}
_RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until another attempt is counted."}
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """For `extend_schema(responses=...)`: errors an operation answers beyond the defaults
    (400 for bodies, 401/403 behind auth, 404 for paths with ids); 409 and 429 need this."""
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class UserTokenScheme(SimpleJWTScheme):
    """simplejwt's bearer scheme, for its subclass that the API uses."""

    target_class = "accounts.authentication.UserTokenAuthentication"


class GuestTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.GuestTokenAuthentication"
    name = "guestToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A guest token from POST /api/join, bound to one participant of one session.",
        }


class ErrorAwareAutoSchema(AutoSchema):
    """Adds the standard error body to the error responses an operation can give."""

    def _default_error_codes(self) -> list[int]:
        permissions = {type(permission) for permission in self.view.get_permissions()}
        codes = []
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            codes.append(400)
        if permissions - {AllowAny} or self.view.get_authenticators():  # a bad token is a 401 anywhere
            codes.append(401)
        if permissions - {AllowAny, IsAuthenticated}:
            codes.append(403)
        if "{" in self.path:
            codes.append(404)
        return [*codes, *OPERATION_ERRORS.get((self.method, self.path), ())]

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        for code, response in error_responses(*self._default_error_codes()).items():
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        if "429" in bodies:
            bodies["429"].setdefault("headers", {}).update(_RETRY_AFTER)
        return dict(sorted(bodies.items()))
