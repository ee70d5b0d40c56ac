"""What the teacher keeps: the analytics dashboard and the whole session as a zip."""

from __future__ import annotations

import uuid

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.principals import principal_of
from observer.audit import audit_record
from sessions import analytics, export
from sessions import serializers as s
from sessions.api.base import ScopedView, ZipRenderer, zip_response
from sessions.permissions import IsSessionTeacherOrAdmin


class SessionAnalyticsView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin]}

    @extend_schema(responses={200: s.AnalyticsOutputSerializer}, summary="Per-student and session figures")
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        return Response(s.AnalyticsOutputSerializer(analytics.session_analytics(session=access.session)).data)


class SessionExportView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin]}
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="session.json, participants.csv, runs.csv and <student>/<file> for every student",
            )
        },
        summary="The whole session as a streamed zip",
    )
    def get(self, request: Request, session_id: uuid.UUID) -> StreamingHttpResponse:
        session = self.session_access(request, session_id).session
        audit_record(action="session.exported", actor=principal_of(request), target=session, request=request)
        return zip_response(request, export.session_zip(session=session), export.download_name(session.title))
