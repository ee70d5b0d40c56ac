"""Sessions: list, create, read, change, start, end, reopen; joining; the caller's current session."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.principals import principal_of, principal_or_none, user_required
from observer.ratelimits import limit_failures
from sessions import selectors, services
from sessions import serializers as s
from sessions.api.base import ScopedView, SessionsPagination
from sessions.models import ClassSession, Participant
from sessions.permissions import IsSessionTeacher, IsSessionTeacherOrAdmin, IsTeacherAccount

# Every join attempt from one address (a whole school behind one NAT): far above a
# class joining at once, far below a flood. Failed attempts have the strict `join_ip`.
JOIN_CEILING = "600/m"


def _session_data(session: ClassSession) -> dict[str, Any]:
    return dict(s.SessionOutputSerializer(selectors.session_detail(session_id=session.pk)).data)


def _files_data(participant: Participant) -> Any:
    documents = selectors.with_current_text(selectors.documents_of(participant=participant))
    return s.FileOutputSerializer(documents, many=True).data


class SessionsView(APIView):
    permission_classes = [IsAuthenticated, IsTeacherAccount]

    @extend_schema(
        parameters=[OpenApiParameter("page", int, description="1-based page number"),
                    OpenApiParameter("page_size", int, description="Sessions per page (default 50, at most 200)")],
        responses={200: s.SessionPageSerializer},
        operation_id="sessions_list",
        summary="Own sessions (admins: all), live first, then newest first, in pages",
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        paginator = SessionsPagination()
        page = paginator.paginate_queryset(selectors.sessions_for(user=principal_of(request)), request, view=self)
        return paginator.get_paginated_response(s.SessionOutputSerializer(page, many=True).data)

    @extend_schema(request=s.SessionCreateInputSerializer, responses={201: s.SessionOutputSerializer})
    def post(self, request: Request) -> Response:
        data = s.SessionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_create(teacher=user_required(request), **data.validated_data)
        return Response(_session_data(session), status=status.HTTP_201_CREATED)


class SessionDetailView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin], "PATCH": [IsSessionTeacherOrAdmin]}

    @extend_schema(responses={200: s.SessionOutputSerializer})
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        return Response(s.SessionOutputSerializer(access.session).data)

    @extend_schema(request=s.SessionUpdateInputSerializer, responses={200: s.SessionOutputSerializer})
    def patch(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        data = s.SessionUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_update(session=access.session, changes=dict(data.validated_data))
        return Response(_session_data(session))


class SessionStartView(ScopedView):
    method_permissions = {"POST": [IsSessionTeacher]}

    @extend_schema(request=None, responses={200: s.SessionOutputSerializer}, summary="Go live and get a join code")
    def post(self, request: Request, session_id: uuid.UUID) -> Response:
        session = services.session_start(session=self.session_access(request, session_id).session)
        return Response(_session_data(session))


class SessionEndView(ScopedView):
    method_permissions = {"POST": [IsSessionTeacher]}

    @extend_schema(request=None, responses={200: s.SessionOutputSerializer}, summary="End: students read-only")
    def post(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        session = services.session_end(session=access.session, actor=principal_of(request), request=request)
        return Response(_session_data(session))


class SessionReopenView(ScopedView):
    method_permissions = {"POST": [IsSessionTeacher]}

    @extend_schema(request=None, responses={200: s.SessionOutputSerializer}, summary="Live again after ending")
    def post(self, request: Request, session_id: uuid.UUID) -> Response:
        session = services.session_reopen(session=self.session_access(request, session_id).session)
        return Response(_session_data(session))


class JoinView(APIView):
    """Anyone with the code joins: signed-in users as themselves, anonymous callers as guests."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=s.JoinInputSerializer,
        responses={200: s.JoinOutputSerializer, 201: s.JoinOutputSerializer},
        summary="Join a live session with its code (201 new participant, 200 the same one again)",
    )
    def post(self, request: Request) -> Response:
        ceiling = settings.RATELIMITS.get("join_any_ip", JOIN_CEILING)
        with limit_failures(request, group="join", rate_name="join_ip", ceiling=ceiling):
            data = s.JoinInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            joined = services.session_join(principal=principal_or_none(request), **data.validated_data)
        participant = selectors.participant_with_status(participant_id=joined.participant.pk)
        body: dict[str, Any] = {
            "participant": s.ParticipantStatusSerializer(participant).data,
            "session": _session_data(participant.session),
            "files": _files_data(participant),
        }
        if joined.token is not None:
            body["token"] = joined.token
        return Response(body, status=status.HTTP_201_CREATED if joined.created else status.HTTP_200_OK)


class CurrentSessionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.CurrentOutputSerializer}, summary="The session a guest or student is in")
    def get(self, request: Request) -> Response:
        current = selectors.participant_current(principal=principal_of(request))
        participant = selectors.participant_with_status(participant_id=current.pk)
        return Response(
            {
                "participant": s.ParticipantStatusSerializer(participant).data,
                "session": _session_data(participant.session),
                "files": _files_data(participant),
            }
        )
