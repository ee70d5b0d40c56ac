"""The terminal's API: a participant's last run, so a terminal opened later (a reload, the
teacher opening the student) shows it instead of an empty screen."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from coding import selectors
from coding.serializers import LastRunOutputSerializer
from sessions.api.base import ScopedView
from sessions.permissions import IsStudentOrTeacherOrAdmin


class LastRunView(ScopedView):
    method_permissions = {"GET": [IsStudentOrTeacherOrAdmin]}

    @extend_schema(responses={200: LastRunOutputSerializer}, summary="The last finished run and its output tail")
    def get(self, request: Request, participant_id: uuid.UUID) -> Response:
        self.participant_access(request, participant_id)
        run = selectors.last_finished_run(participant_id=participant_id)
        return Response(LastRunOutputSerializer({"last_run": run}).data)
