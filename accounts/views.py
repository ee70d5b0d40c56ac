"""Auth endpoints under /api/auth/: one view per operation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts import services
from accounts.limits import limit_attempts, token_account
from accounts.principals import is_admin, is_guest, principal_of, principal_or_none, user_of
from accounts.schema import error_responses
from observer.audit import audit_record


def _field(request: Request, name: str) -> Any:
    """A raw field of the body, before validation (so invalid attempts count too)."""
    return request.data.get(name) if isinstance(request.data, dict) else None


class AnonymousView(APIView):
    """Takes no credentials; failures still answer 401 with a Bearer challenge."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class RegisterView(APIView):
    """Anyone may register a student; an admin's token may also create teachers and admins."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=s.RegisterInputSerializer,
        responses={201: s.TokenPairOutputSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        limit_attempts(request, group="register", username=_field(request, "username"))
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        principal = principal_or_none(request)
        creator = user_of(principal) if is_admin(principal) else None
        user = services.user_register(**data.validated_data, created_by=creator)
        body = {**services.token_pair_for(user=user), "user": s.UserOutputSerializer(user).data}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(AnonymousView):
    @extend_schema(
        request=s.LoginInputSerializer, responses={200: s.TokenPairOutputSerializer, **error_responses(401, 429)}
    )
    def post(self, request: Request) -> Response:
        data = s.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        limit_attempts(request, group="login", username=username)
        # authenticate() sends user_login_failed once for a failure; a success sends
        # user_logged_in once (as the admin's login does), which also sets last_login.
        user = authenticate(request._request, username=username, password=data.validated_data["password"])
        if user is None:
            audit_record(action="auth.login_failed", request=request, details={"username": username})
            raise exceptions.AuthenticationFailed("Wrong username or password.")
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        audit_record(action="auth.login", actor=user, request=request)
        body = {**services.token_pair_for(user=user), "user": s.UserOutputSerializer(user).data}  # type: ignore[arg-type]
        return Response(body)


class RefreshView(AnonymousView):
    """Trades a refresh token for a new pair; the old refresh token is blacklisted and
    the access tokens minted with it end."""

    @extend_schema(
        request=s.RefreshInputSerializer,
        responses={200: s.TokenRefreshOutputSerializer, **error_responses(401, 429)},
    )
    def post(self, request: Request) -> Response:
        limit_attempts(request, group="refresh", account=token_account(_field(request, "refresh")))
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.token_refresh(refresh=data.validated_data["refresh"]))


class LogoutView(AnonymousView):
    @extend_schema(request=s.RefreshInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.token_logout(refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=PolymorphicProxySerializer(
            component_name="Me",
            serializers=[s.UserOutputSerializer, s.GuestOutputSerializer],
            resource_type_field_name=None,
        )
    )
    def get(self, request: Request) -> Response:
        principal = principal_of(request)
        if is_guest(principal):
            return Response(s.GuestOutputSerializer(principal).data)
        return Response(s.UserOutputSerializer(principal).data)
