"""AI help's REST API (docs/API.md, "AI help"): providers and their keys, the session's
policy, the questions asked, analytics and the export. Asking itself is on the assist
socket, where answers stream."""

from __future__ import annotations

import json
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.principals import user_required
from assist import selectors, services
from assist import serializers as s
from assist.errors import AssistRefused
from assist.export import export_document
from assist.models import Provider
from assist.permissions import IsAdmin, IsTeacherAccount
from assist.present import question_view
from assist.providers import ProviderFailed, check_connection
from sessions.api.base import ScopedView, SessionsPagination
from sessions.export import download_name
from sessions.permissions import IsSessionTeacher, IsSessionTeacherOrAdmin, IsStudentOrTeacherOrAdmin


class AssistError(exceptions.APIException):
    """An AssistRefused or a ProviderFailed in the API's error shape."""

    def __init__(self, code: str, message: str, status_code: int) -> None:
        super().__init__(message, code)
        self.status_code = status_code


def _refused(exc: AssistRefused) -> AssistError:
    return AssistError(exc.code, exc.message, exc.status)


# --- providers -----------------------------------------------------------------------------------


class _ProviderView(APIView):
    """One provider: the deployment's (admins) or the caller's own (teachers)."""

    scope_permission: type[BasePermission] = IsAdmin

    def get_permissions(self) -> list[BasePermission]:
        return [IsAuthenticated(), self.scope_permission()]

    def owner(self, request: Request) -> Any:
        return None if self.scope_permission is IsAdmin else user_required(request)

    def provider(self, request: Request) -> Provider:
        owner = self.owner(request)
        found = selectors.deployment_provider() if owner is None else selectors.own_provider(owner_id=owner.pk)
        if found is None:
            raise exceptions.NotFound("No AI provider is configured here.")
        return found


class DeploymentProviderView(_ProviderView):
    @extend_schema(responses={200: s.ProviderOutputSerializer}, summary="The deployment's AI provider (key masked)")
    def get(self, request: Request) -> Response:
        return Response(s.ProviderOutputSerializer(self.provider(request)).data)

    @extend_schema(request=s.ProviderInputSerializer, responses={200: s.ProviderOutputSerializer},
                   summary="Set the AI provider; the key is stored encrypted and never shown again")  # fmt: skip
    def put(self, request: Request) -> Response:
        data = s.ProviderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            provider = services.provider_set(
                owner=self.owner(request),
                set_by=user_required(request),
                base_url=data.validated_data["base_url"],
                model=data.validated_data["model"],
                organization=data.validated_data["organization"],
                api_key=data.validated_data.get("api_key") or None,
            )
        except AssistRefused as exc:
            raise _refused(exc) from None
        return Response(s.ProviderOutputSerializer(provider).data)

    @extend_schema(responses={204: None}, summary="Remove the AI provider and its key")
    def delete(self, request: Request) -> Response:
        services.provider_delete(provider=self.provider(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OwnProviderView(DeploymentProviderView):
    scope_permission = IsTeacherAccount


class DeploymentProviderCheckView(_ProviderView):
    @extend_schema(request=None, responses={200: s.ConnectionCheckSerializer},
                   summary="Test the connection: one token from the provider with the stored key")  # fmt: skip
    def post(self, request: Request) -> Response:
        endpoint = services.endpoint_of(self.provider(request))
        try:
            model = async_to_sync(check_connection)(endpoint)
        except ProviderFailed as exc:
            raise AssistError(exc.code, exc.message, status.HTTP_502_BAD_GATEWAY) from None
        return Response({"ok": True, "model": model})


class OwnProviderCheckView(DeploymentProviderCheckView):
    scope_permission = IsTeacherAccount


# --- a session's policy --------------------------------------------------------------------------


class PolicyView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin], "PUT": [IsSessionTeacher]}

    def _answer(self, policy: Any) -> Response:
        provider = selectors.provider_for_session(session=policy.session)
        return Response(s.PolicyOutputSerializer(policy, context={"provider": provider}).data)

    @extend_schema(responses={200: s.PolicyOutputSerializer}, summary="The session's AI help policy")
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        return self._answer(selectors.policy_of(session=access.session))

    @extend_schema(request=s.PolicyInputSerializer, responses={200: s.PolicyOutputSerializer},
                   summary="Set the session's AI help policy (mode off: help off for the class)")  # fmt: skip
    def put(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        data = s.PolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            return self._answer(services.policy_set(session=access.session, **data.validated_data))
        except AssistRefused as exc:
            raise _refused(exc) from None


class ParticipantAssistView(ScopedView):
    method_permissions = {"GET": [IsStudentOrTeacherOrAdmin], "PUT": [IsSessionTeacher]}

    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   summary="What the student may ask now and their latest questions")  # fmt: skip
    def get(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        teacher = not access.is_student
        return Response({
            "allowance": selectors.allowance_of(participant=access.target),
            "questions": [question_view(q, for_teacher=teacher)
                          for q in selectors.recent_questions(participant=access.target)],
        })  # fmt: skip

    @extend_schema(request=s.ParticipantHelpSerializer, responses={200: s.PolicyOutputSerializer},
                   summary="Turn AI help on or off for one student")  # fmt: skip
    def put(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        data = s.ParticipantHelpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = services.participant_help_set(participant=access.target, enabled=data.validated_data["enabled"])
        provider = selectors.provider_for_session(session=access.session)
        return Response(s.PolicyOutputSerializer(policy, context={"provider": provider}).data)


# --- the log -------------------------------------------------------------------------------------


class QuestionsView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin]}

    @extend_schema(parameters=[s.QuestionsQuerySerializer], responses={200: OpenApiTypes.OBJECT},
                   summary="Every question and answer of the session, oldest first (paged)")  # fmt: skip
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        query = s.QuestionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        questions = selectors.questions_of_session(session=access.session,
                                                   participant_id=query.validated_data.get("participant"))  # fmt: skip
        if query.validated_data.get("kind"):
            questions = questions.filter(kind=query.validated_data["kind"])
        pages = SessionsPagination()
        page = pages.paginate_queryset(questions, request, view=self) or []
        return pages.get_paginated_response([question_view(q, for_teacher=True) for q in page])


class AnalyticsView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin]}

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Questions per student and the most common errors")
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        return Response(selectors.analytics(session=access.session))


class ExportView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin]}

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Every question and answer as a JSON file")
    def get(self, request: Request, session_id: uuid.UUID) -> HttpResponse:
        access = self.session_access(request, session_id)
        body = export_document(session=access.session)
        response = HttpResponse(json.dumps(body, indent=2, ensure_ascii=False), content_type="application/json")
        response["Content-Disposition"] = (
            f'attachment; filename="{download_name(access.session.title).removesuffix(".zip")}-ai-help.json"'
        )
        response["Cache-Control"] = "no-store"
        return response
