"""Describes the guest token scheme in the OpenAPI schema."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
