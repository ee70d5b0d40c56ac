"""API keys in the app's REST API (/api/integrations/keys): teachers manage their own,
admins every key. Signed-in users only (a key cannot manage keys). The secret is in the
answer to create and rotate, and never again."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.principals import is_teacher_account, principal_or_none, user_required
from integrations import keys, selectors, webhooks
from integrations.models import ApiKey, Scope
from observer.errors import Conflict
from observer.fields import StrictCharField

RATE = r"^\d{1,6}/\d{0,4}[smhd]$"
RATE_MESSAGE = "A count and a period: e.g. 10/m, 200/15m, 1000/d (s, m, h or d)."


class IsTeacherAccount(BasePermission):
    """Signed-in teachers and admins (not students, not guests)."""

    message = "Only teachers and admins can manage API keys."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_teacher_account(principal_or_none(request))


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
    allowed_ips = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "owner", "prefix", "scopes", "expires_at", "allowed_ips", "requests_rate",
                  "executions_rate", "test_sessions_rate", "webhook_url", "created_at", "revoked_at", "last_used_at",
                  "use_count", "is_active"]
        read_only_fields = fields


class ApiKeySecretSerializer(ApiKeyOutputSerializer):
    secret = serializers.CharField(help_text="The whole key. Shown this once: only its hash is kept.")
    webhook_secret = serializers.CharField(help_text="Signs this key's webhooks (X-Observer-Signature).")

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = [*ApiKeyOutputSerializer.Meta.fields, "secret", "webhook_secret"]
        read_only_fields = fields


def _rate(example: str) -> serializers.RegexField:
    return serializers.RegexField(RATE, required=False, allow_blank=True, error_messages={"invalid": RATE_MESSAGE},
                                  help_text=f"e.g. {example} (blank: the default)")


class ApiKeyCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), min_length=1, max_length=3)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    allowed_ips = serializers.ListField(child=StrictCharField(max_length=64), required=False, max_length=50)
    requests_rate = _rate("200/15m")
    executions_rate = _rate("10/m")
    test_sessions_rate = _rate("50/15m")
    webhook_url = StrictCharField(max_length=2000, required=False, allow_blank=True,
                                  help_text="Where the key's events go (a run finished, a test session "
                                            "completed); blank: none")
    owner = serializers.UUIDField(required=False, help_text="Admins only: the user the key belongs to.")

    def validate_webhook_url(self, value: str) -> str:
        if value:
            try:
                webhooks.check_url(value)
            except webhooks.UnsafeUrl as exc:
                raise serializers.ValidationError(f"The webhook URL {exc}.") from None
        return value


class ApiKeyUpdateSerializer(ApiKeyCreateSerializer):
    """The fields to change (any of them); the owner stays, the secret changes by rotating."""

    owner = None  # type: ignore[assignment]


def _secret_answer(issued: keys.IssuedKey) -> dict[str, Any]:
    data = dict(ApiKeyOutputSerializer(issued.key).data)
    return {**data, "secret": issued.secret, "webhook_secret": issued.key.webhook_secret}


class KeysView(APIView):
    permission_classes = [IsAuthenticated, IsTeacherAccount]

    @extend_schema(responses={200: ApiKeyOutputSerializer(many=True)}, operation_id="api_keys_list",
                   summary="The caller's API keys (admins: every key)")
    def get(self, request: Request) -> Response:
        user = user_required(request)
        return Response(ApiKeyOutputSerializer(keys.keys_visible_to(user=user), many=True).data)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeySecretSerializer},
                   summary="Create an API key; the answer holds its secret, shown this once")
    def post(self, request: Request) -> Response:
        user = user_required(request)
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        owner_id = fields.pop("owner", None)
        owner = user
        if owner_id is not None and owner_id != user.pk:
            if not user.is_admin:
                raise serializers.ValidationError({"owner": ["Only admins may create keys for someone else."]})
            owner = selectors.active_user(user_id=owner_id)  # type: ignore[assignment]
            if owner is None:
                raise serializers.ValidationError({"owner": ["No such active user."]})
        issued = keys.key_create(owner=owner, actor=user, request=request, **fields)
        return Response(_secret_answer(issued), status=status.HTTP_201_CREATED)


def _visible_key(request: Request, key_id: uuid.UUID) -> ApiKey:
    key = keys.keys_visible_to(user=user_required(request)).filter(pk=key_id).first()
    if key is None:
        raise Http404
    return key


class KeyDetailView(APIView):
    permission_classes = [IsAuthenticated, IsTeacherAccount]

    @extend_schema(responses={200: ApiKeyOutputSerializer}, summary="One API key (never its secret)")
    def get(self, request: Request, key_id: uuid.UUID) -> Response:
        return Response(ApiKeyOutputSerializer(_visible_key(request, key_id)).data)

    @extend_schema(request=ApiKeyUpdateSerializer, responses={200: ApiKeyOutputSerializer},
                   summary="Change an API key's name, scopes, expiry, addresses, rates or webhook URL")
    def patch(self, request: Request, key_id: uuid.UUID) -> Response:
        key = _visible_key(request, key_id)
        data = ApiKeyUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if key.revoked_at is not None:
            raise Conflict("A revoked key cannot be changed.")
        key = keys.key_update(key=key, actor=user_required(request), changes=dict(data.validated_data),
                              request=request)
        return Response(ApiKeyOutputSerializer(key).data)


class KeyRevokeView(APIView):
    permission_classes = [IsAuthenticated, IsTeacherAccount]

    @extend_schema(request=None, responses={200: ApiKeyOutputSerializer},
                   summary="Revoke an API key: it stops working at once")
    def post(self, request: Request, key_id: uuid.UUID) -> Response:
        key = keys.key_revoke(key=_visible_key(request, key_id), actor=user_required(request), request=request)
        return Response(ApiKeyOutputSerializer(key).data)


class KeyRotateView(APIView):
    permission_classes = [IsAuthenticated, IsTeacherAccount]

    @extend_schema(request=None, responses={200: ApiKeySecretSerializer},
                   summary="A new secret for an API key; the old one stops working at once")
    def post(self, request: Request, key_id: uuid.UUID) -> Response:
        key = _visible_key(request, key_id)
        if key.revoked_at is not None:
            raise Conflict("A revoked key cannot be rotated.")
        issued = keys.key_rotate(key=key, actor=user_required(request), request=request)
        return Response(_secret_answer(issued))
