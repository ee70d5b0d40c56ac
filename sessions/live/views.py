"""GET /api/documents/{id}/history: a document's replay, for its session's teacher and admins."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.principals import principal_of
from sessions import selectors
from sessions.live import replay
from sessions.permissions import IsSessionTeacherOrAdmin


class HistoryQuerySerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, help_text="Also return the text at this moment (text_at).")
    after_seq = serializers.IntegerField(required=False, min_value=0, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=20000, default=5000)
    texts = serializers.ChoiceField(choices=["keyframes", "all"], required=False, default="keyframes")


class _AuthorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["participant", "teacher", "server"])
    id = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class _EditSerializer(serializers.Serializer):
    pos = serializers.IntegerField()
    delete = serializers.IntegerField()
    insert = serializers.CharField()


class _EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    author = _AuthorSerializer()
    inserted = serializers.IntegerField()
    deleted = serializers.IntegerField()
    paste = serializers.BooleanField(help_text="A large insertion made at once (not a resync).")
    resynced = serializers.BooleanField(help_text="Typed earlier, delivered when the editor reconnected.")
    edit = _EditSerializer()
    text_after = serializers.CharField(required=False)


class _TextAtSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    seq = serializers.IntegerField()
    text = serializers.CharField()


class HistoryOutputSerializer(serializers.Serializer):
    """The shape of the answer (documentation only: replay builds plain dicts)."""

    document_id = serializers.UUIDField()
    name = serializers.CharField()
    base_text = serializers.CharField()
    final_text = serializers.CharField()
    last_seq = serializers.IntegerField()
    next_after_seq = serializers.IntegerField(allow_null=True)
    text_at = _TextAtSerializer(required=False)
    events = _EventSerializer(many=True)


class DocumentHistoryView(APIView):
    permission_classes = [IsAuthenticated, IsSessionTeacherOrAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter("at", str, description="ISO time: adds text_at, the text at that moment"),
            OpenApiParameter("after_seq", int, description="Only events after this sequence number (paging)"),
            OpenApiParameter("limit", int, description="At most this many events (default 5000)"),
            OpenApiParameter("texts", str, enum=["keyframes", "all"], description="text_after on every event?"),
        ],
        responses={200: HistoryOutputSerializer},
        summary="A document's edit history, for replay",
    )
    def get(self, request: Request, document_id: uuid.UUID) -> Response:
        access, document = selectors.document_history_access(principal=principal_of(request), document_id=document_id)
        self.check_object_permissions(request, access)
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(replay.document_history(document=document, **query.validated_data))
