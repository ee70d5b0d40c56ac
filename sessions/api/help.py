"""Help requests: a student raises a hand; the teacher sees the queue, claims, resolves."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.principals import user_required
from sessions import selectors, services
from sessions import serializers as s
from sessions.api.base import ScopedView
from sessions.permissions import IsSessionTeacher, IsSessionTeacherOrAdmin, IsStudent


class HelpQueueView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin]}

    @extend_schema(
        parameters=[OpenApiParameter("state", enum=["open", "claimed", "resolved", "cancelled"], required=False,
                                     description="Default: open and claimed")],
        responses={200: s.HelpRequestOutputSerializer(many=True)},
        summary="The help queue, oldest first",
    )  # fmt: skip
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        query = s.HelpQueueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        state = query.validated_data.get("state")
        queue = selectors.help_queue(session=access.session, **({"states": [state]} if state else {}))
        return Response(s.HelpRequestOutputSerializer(queue, many=True).data)


class HelpRaiseView(ScopedView):
    method_permissions = {"POST": [IsStudent]}

    @extend_schema(request=s.HelpRaiseInputSerializer, responses={201: s.HelpRequestOutputSerializer})
    def post(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        data = s.HelpRaiseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        help_request = services.help_raise(
            participant=access.target, message=fields["message"], document_id=fields["file_id"], line=fields["line"]
        )
        return Response(s.HelpRequestOutputSerializer(help_request).data, status=status.HTTP_201_CREATED)


_HELP_SCHEMA: dict[str, Any] = {"request": None, "responses": {200: s.HelpRequestOutputSerializer}}


class HelpClaimView(ScopedView):
    method_permissions = {"POST": [IsSessionTeacher]}

    @extend_schema(**_HELP_SCHEMA, summary="The teacher takes a help request")
    def post(self, request: Request, help_id: uuid.UUID) -> Response:
        help_request = self.help_access(request, help_id)
        help_request = services.help_claim(help_request=help_request, teacher=user_required(request))
        return Response(s.HelpRequestOutputSerializer(help_request).data)


class HelpResolveView(ScopedView):
    method_permissions = {"POST": [IsSessionTeacher]}

    @extend_schema(**_HELP_SCHEMA, summary="The teacher marks a help request done")
    def post(self, request: Request, help_id: uuid.UUID) -> Response:
        help_request = self.help_access(request, help_id)
        help_request = services.help_resolve(help_request=help_request, teacher=user_required(request))
        return Response(s.HelpRequestOutputSerializer(help_request).data)


class HelpCancelView(ScopedView):
    method_permissions = {"POST": [IsStudent]}

    @extend_schema(**_HELP_SCHEMA, summary="The student withdraws their request")
    def post(self, request: Request, help_id: uuid.UUID) -> Response:
        help_request = services.help_cancel(help_request=self.help_access(request, help_id))
        return Response(s.HelpRequestOutputSerializer(help_request).data)
