"""OpenAPI: how the integration views authenticate."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "An API key (obs_...); also accepted as `Authorization: Bearer <key>`."}


class Judge0KeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.Judge0KeyAuthentication"
    name = "judge0AuthToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                "description": "An API key, in Judge0's header (X-API-Key and Bearer work too)."}
