"""A participant's files: list, create, read, rename or rewrite, delete, download as zip."""

from __future__ import annotations

import uuid

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.principals import principal_of
from observer.audit import audit_record
from sessions import export, selectors, services
from sessions import serializers as s
from sessions.api.base import ScopedView, ZipRenderer, zip_response
from sessions.permissions import CanReadFiles, CanWriteFiles, IsStudentOrTeacherOrAdmin


def _author(request: Request, access: selectors.Access) -> services.Author:
    return services.Author.of(principal=principal_of(request), access=access)


class FilesView(ScopedView):
    method_permissions = {"GET": [CanReadFiles], "POST": [CanWriteFiles]}

    @extend_schema(responses={200: s.FileOutputSerializer(many=True)})
    def get(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        documents = selectors.with_current_text(selectors.documents_of(participant=access.target))
        return Response(s.FileOutputSerializer(documents, many=True).data)

    @extend_schema(request=s.FileCreateInputSerializer, responses={201: s.FileOutputSerializer})
    def post(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        data = s.FileCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_create(
            participant=access.target, author=_author(request, access), request=request, **data.validated_data
        )
        return Response(s.FileOutputSerializer(document).data, status=status.HTTP_201_CREATED)


class FileDetailView(ScopedView):
    method_permissions = {"GET": [CanReadFiles], "PATCH": [CanWriteFiles], "DELETE": [CanWriteFiles]}

    @extend_schema(responses={200: s.FileOutputSerializer})
    def get(self, request: Request, participant_id: uuid.UUID, file_id: uuid.UUID) -> Response:
        _, document = self.document_access(request, participant_id, file_id)
        return Response(s.FileOutputSerializer(document).data)

    @extend_schema(
        request=s.FileUpdateInputSerializer,
        responses={200: s.FileOutputSerializer},
        summary="Rename ({name}) and/or replace the text ({content}, recorded in the CRDT log)",
    )
    def patch(self, request: Request, participant_id: uuid.UUID, file_id: uuid.UUID) -> Response:
        access, document = self.document_access(request, participant_id, file_id)
        data = s.FileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_update(
            document=document, participant=access.target, author=_author(request, access), request=request,
            **data.validated_data,
        )  # fmt: skip
        return Response(s.FileOutputSerializer(document).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, participant_id: uuid.UUID, file_id: uuid.UUID) -> Response:
        access, document = self.document_access(request, participant_id, file_id)
        services.document_delete(
            document=document, participant=access.target, author=_author(request, access), request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FilesDownloadView(ScopedView):
    method_permissions = {"GET": [IsStudentOrTeacherOrAdmin]}
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The files as a zip")}
    )
    def get(self, request: Request, participant_id: uuid.UUID) -> StreamingHttpResponse:
        access = self.participant_access(request, participant_id)
        if not access.is_student:  # like the session export: a teacher or admin took a student's work
            audit_record(action="participant.exported", actor=principal_of(request), target=access.target,
                         request=request, details={"session_id": str(access.session.pk)})  # fmt: skip
        name = export.download_name(f"{access.session.title} {access.target.display_name}")
        return zip_response(request, export.participant_zip(participant=access.target), name)
