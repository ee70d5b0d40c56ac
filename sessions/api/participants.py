"""Participants: the teacher's list with status, one participant, removal, and pushing files."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.principals import principal_of, user_required
from sessions import selectors, services
from sessions import serializers as s
from sessions.api.base import ScopedView
from sessions.permissions import CanListParticipants, IsSessionTeacher, IsStudentOrTeacherOrAdmin


class SessionParticipantsView(ScopedView):
    method_permissions = {"GET": [CanListParticipants]}

    @extend_schema(responses={200: s.ParticipantStatusSerializer(many=True)}, summary="Participants with status")
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        participants = selectors.participants_of(session=access.session)
        staff = access.is_teacher or access.is_admin
        context = {} if staff else {"viewer_participant_id": access.own_participant_id}
        return Response(s.ParticipantStatusSerializer(participants, many=True, context=context).data)


class SessionParticipantView(ScopedView):
    method_permissions = {"DELETE": [IsSessionTeacher]}

    @extend_schema(responses={204: None}, summary="Remove a participant (their guest token stops working)")
    def delete(self, request: Request, session_id: uuid.UUID, participant_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        participant = selectors.participant_in_session(session=access.session, participant_id=participant_id)
        services.participant_remove(participant=participant, actor=principal_of(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionPushView(ScopedView):
    method_permissions = {"POST": [IsSessionTeacher]}

    @extend_schema(
        request=s.PushInputSerializer,
        responses={200: s.PushOutputSerializer},
        summary="Give a file to every student (or one) without overwriting their work",
    )
    def post(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        data = s.PushInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.file_push(session=access.session, teacher=user_required(request), **data.validated_data)
        return Response(s.PushOutputSerializer(result).data)


class ParticipantDetailView(ScopedView):
    method_permissions = {"GET": [IsStudentOrTeacherOrAdmin]}

    @extend_schema(responses={200: s.ParticipantDetailSerializer})
    def get(self, request: Request, participant_id: uuid.UUID) -> Response:
        self.participant_access(request, participant_id)
        return Response(s.ParticipantDetailSerializer(selectors.participant_detail(participant_id=participant_id)).data)
