"""Authenticating another system by its API key, and what each scope lets it do.

`X-API-Key: <key>` or `Authorization: Bearer <key>` (a key starts with `obs_`, a JWT with
`eyJ`, so the two never meet: a JWT is left to the other classes); on the Judge0 API also
Judge0's own `X-Auth-Token`. The request's user is the key's owner and `request.auth` the
key; these classes are only on the integration views, so a key opens nothing else.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User
from integrations import keys
from integrations.models import ApiKey, Scope
from observer.ratelimits import client_ip


class ApiKeyAuthentication(BaseAuthentication):
    """`X-API-Key: <key>` or `Authorization: Bearer <key>`."""

    headers: tuple[str, ...] = ("X-API-Key",)

    def raw_key(self, request: Request) -> str | None:
        for name in self.headers:
            value = request.headers.get(name)
            if value:
                return value.strip()
        parts = get_authorization_header(request).split()
        if len(parts) == 2 and parts[0].lower() == b"bearer":
            try:
                text = parts[1].decode("ascii")
            except UnicodeDecodeError:
                return None
            return text if keys.looks_like_key(text) else None
        return None

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:  # type: ignore[override]
        raw = self.raw_key(request)
        if raw is None:
            return None
        try:
            key = keys.key_for_use(secret=raw, ip=client_ip(request))
        except keys.KeyRefused as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        return key.owner, key

    def authenticate_header(self, request: Request) -> str:
        return 'ApiKey realm="api"'


class Judge0KeyAuthentication(ApiKeyAuthentication):
    """The same keys, also read from Judge0's `X-Auth-Token` header."""

    headers = ("X-Auth-Token", "X-API-Key")


def key_of(request: Request) -> ApiKey:
    key = request.auth
    if not isinstance(key, ApiKey):
        raise exceptions.NotAuthenticated()
    return key


class _HasScope(BasePermission):
    scope: str = ""

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        if not key.has_scope(self.scope):
            self.message = f"This API key lacks the {self.scope!r} scope."
            return False
        return True


class CanExecute(_HasScope):
    """A key with the `execute` scope."""

    scope = Scope.EXECUTE


class CanRead(_HasScope):
    """A key with the `read` scope (results of this key's own runs)."""

    scope = Scope.READ


class CanRunTestSessions(_HasScope):
    """A key with the `test-sessions` scope."""

    scope = Scope.TEST_SESSIONS


class CanReadTestSessions(BasePermission):
    """A key with `test-sessions` or `read` (a test session's report)."""

    message = "This API key lacks the 'test-sessions' and 'read' scopes."

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        return isinstance(key, ApiKey) and (key.has_scope(Scope.TEST_SESSIONS) or key.has_scope(Scope.READ))


class CanExecuteOrRead(BasePermission):
    """A key with `execute` or `read` (the Judge0 API's reference lists)."""

    message = "This API key lacks the 'execute' and 'read' scopes."

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        return isinstance(key, ApiKey) and (key.has_scope(Scope.EXECUTE) or key.has_scope(Scope.READ))
