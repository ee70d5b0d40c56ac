"""Exercises in a session, over REST (docs/API.md, "Exercises in a session"): thin views
that resolve the principal's access through sessions.selectors (404 to whoever has no
part in the session) and call exercises.classroom."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.principals import principal_of, user_required
from exercises import classroom, grid
from exercises import selectors as bank
from exercises.models import Policy, SessionExercise, SubmissionKind
from sessions.api.base import ScopedView
from sessions.permissions import IsSessionTeacher, IsSessionTeacherOrAdmin, IsStudent, IsStudentOrTeacherOrAdmin
from sessions.selectors import Access


def _link(access: Access, link_id: uuid.UUID) -> SessionExercise:
    link = classroom.links_of(session=access.session).filter(pk=link_id).first()
    if link is None:
        raise NotFound("No such exercise in this session.")
    return link


def _teacher_link(link: SessionExercise) -> dict[str, Any]:
    tests = list(link.exercise.tests.all())
    return {"id": str(link.pk), "exercise_id": str(link.exercise_id), "title": link.exercise.title,
            "order": link.order, "is_open": link.is_open, "policy": link.policy,
            "deadline": link.deadline.isoformat() if link.deadline else None,
            "tests": len(tests), "hidden_tests": sum(1 for t in tests if t.visibility == "hidden"),
            "max_score": sum(t.weight for t in tests), "created_at": link.created_at.isoformat()}  # fmt: skip


class AttachInputSerializer(serializers.Serializer):
    exercise_id = serializers.UUIDField()
    is_open = serializers.BooleanField(default=True)
    policy = serializers.ChoiceField(choices=Policy.choices, default=Policy.BEST)
    deadline = serializers.DateTimeField(required=False, allow_null=True, default=None)


class LinkUpdateSerializer(serializers.Serializer):
    is_open = serializers.BooleanField(required=False)
    policy = serializers.ChoiceField(choices=Policy.choices, required=False)
    deadline = serializers.DateTimeField(required=False, allow_null=True)
    order = serializers.IntegerField(required=False, min_value=0, max_value=10_000)


class SessionExercisesView(ScopedView):
    method_permissions = {"POST": [IsSessionTeacher]}

    @extend_schema(responses={200: dict}, summary="The session's exercises: all of them for its teacher and "
                   "admins; the open ones as a student sees them (statement, starter files, sample tests, "
                   "how many hidden tests) for its students")  # fmt: skip
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        links = classroom.links_of(session=access.session)
        if access.is_teacher or access.is_admin:
            return Response([_teacher_link(link) for link in links.prefetch_related("exercise__tests")])
        participant = access.session.participants.filter(pk=access.own_participant_id or uuid.UUID(int=0)).first()
        if participant is None:
            raise NotFound("No such session.")
        return Response([classroom.student_exercise(link, participant=participant)
                         for link in links.filter(is_open=True)])  # fmt: skip

    @extend_schema(request=AttachInputSerializer, responses={201: dict},
                   summary="Attach an exercise of the bank (the teacher's own or a shared one)")  # fmt: skip
    def post(self, request: Request, session_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        data = AttachInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            exercise = bank.exercise_access(principal=request.user, exercise_id=fields.pop("exercise_id")).exercise
        except NotFound:
            raise serializers.ValidationError({"exercise_id": ["No such exercise in your bank."]}) from None
        link = classroom.link_create(session=access.session, exercise=exercise, **fields)
        link.exercise.refresh_from_db()
        return Response(_teacher_link(link), status=status.HTTP_201_CREATED)


class SessionExerciseView(ScopedView):
    method_permissions = {"PATCH": [IsSessionTeacher], "DELETE": [IsSessionTeacher]}

    @extend_schema(request=LinkUpdateSerializer, responses={200: dict},
                   summary="Open or close it, change its policy, deadline or place")  # fmt: skip
    def patch(self, request: Request, session_id: uuid.UUID, link_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        link = _link(access, link_id)
        data = LinkUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = classroom.link_update(link=link, data=dict(data.validated_data))
        return Response(_teacher_link(link))

    @extend_schema(responses={204: None}, summary="Detach it (its submissions go with it)")
    def delete(self, request: Request, session_id: uuid.UUID, link_id: uuid.UUID) -> Response:
        classroom.link_delete(link=_link(self.session_access(request, session_id), link_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegradeInputSerializer(serializers.Serializer):
    participant_id = serializers.UUIDField(required=False, help_text="Only this student's latest submission")


class RegradeView(ScopedView):
    method_permissions = {"POST": [IsSessionTeacher]}

    @extend_schema(request=RegradeInputSerializer, responses={202: dict},
                   summary="Run every student's latest submission (or one student's) again against the current "
                   "tests, through the fair queue; progress comes as exercise.regrade events")  # fmt: skip
    def post(self, request: Request, session_id: uuid.UUID, link_id: uuid.UUID) -> Response:
        access = self.session_access(request, session_id)
        link = _link(access, link_id)
        data = RegradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        participant = None
        if "participant_id" in data.validated_data:
            participant = access.session.participants.filter(pk=data.validated_data["participant_id"]).first()
            if participant is None:
                raise serializers.ValidationError({"participant_id": ["No such student in this session."]})
        count = classroom.regrade_launch(link=link, principal=user_required(request), participant=participant)
        return Response({"submissions": count}, status=status.HTTP_202_ACCEPTED)


class GridView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin]}

    @extend_schema(responses={200: dict}, summary="Students × exercises: each cell the latest Submit and the "
                   "score that counts; per-exercise statistics; rows needing attention first")  # fmt: skip
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        return Response(grid.grid(session=self.session_access(request, session_id).session))


class GradesView(ScopedView):
    method_permissions = {"GET": [IsSessionTeacherOrAdmin]}

    @extend_schema(responses={(200, "text/csv"): bytes}, summary="grades.csv: one row per student, one column "
                   "per exercise (the score that counts), the total")  # fmt: skip
    def get(self, request: Request, session_id: uuid.UUID) -> HttpResponse:
        session = self.session_access(request, session_id).session
        response = HttpResponse(grid.grades_csv(session=session), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="grades.csv"'
        response["Cache-Control"] = "no-store"
        return response


class _GradeView(ScopedView):
    kind = SubmissionKind.SUBMIT
    method_permissions = {"POST": [IsStudent]}

    def post(self, request: Request, participant_id: uuid.UUID, link_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        link = _link(access, link_id)
        submission = classroom.submission_start(participant=access.target, link=link, kind=self.kind)
        submission = classroom.launch(submission=submission, principal=principal_of(request))
        return Response(classroom.student_view(submission), status=status.HTTP_202_ACCEPTED)


class CheckView(_GradeView):
    kind = SubmissionKind.CHECK

    @extend_schema(request=None, responses={202: dict}, summary="Check: run the sample tests on the student's "
                   "current files (results stream as exercise.progress and exercise.result events)")  # fmt: skip
    def post(self, request: Request, participant_id: uuid.UUID, link_id: uuid.UUID) -> Response:
        return super().post(request, participant_id, link_id)


class SubmitView(_GradeView):
    kind = SubmissionKind.SUBMIT

    @extend_schema(request=None, responses={202: dict}, summary="Submit: run every test on the student's "
                   "current files and record the score")  # fmt: skip
    def post(self, request: Request, participant_id: uuid.UUID, link_id: uuid.UUID) -> Response:
        return super().post(request, participant_id, link_id)


class SubmissionsView(ScopedView):
    method_permissions = {"GET": [IsStudentOrTeacherOrAdmin]}

    @extend_schema(parameters=[OpenApiParameter("session_exercise", uuid.UUID, required=False)],
                   responses={200: dict}, summary="A student's submissions, newest first: whole for the teacher "
                   "and admins, hidden tests as pass/fail for the student")  # fmt: skip
    def get(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        link_id = request.query_params.get("session_exercise")
        try:
            link = uuid.UUID(link_id) if link_id else None
        except ValueError:
            raise serializers.ValidationError({"session_exercise": ["Not a valid id."]}) from None
        submissions = bank.submissions_of(participant=access.target, link_id=link)
        if access.is_teacher or access.is_admin:
            return Response([classroom.teacher_view(s) for s in submissions])
        return Response([classroom.student_view(s) for s in submissions])


class FeedbackInputSerializer(serializers.Serializer):
    file_name = serializers.CharField(max_length=100)
    line = serializers.IntegerField(min_value=1, max_value=1_000_000)
    text = serializers.CharField(max_length=2000)
    submission_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class FeedbackView(ScopedView):
    method_permissions = {"GET": [IsStudentOrTeacherOrAdmin], "POST": [IsSessionTeacher]}

    @extend_schema(responses={200: dict}, summary="The teacher's comments on the student's lines")
    def get(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        comments = access.target.feedback.select_related("author")
        return Response([classroom.feedback_view(f) for f in comments])

    @extend_schema(request=FeedbackInputSerializer, responses={201: dict},
                   summary="Comment on a line of the student's live file or of one of their submissions")  # fmt: skip
    def post(self, request: Request, participant_id: uuid.UUID) -> Response:
        access = self.participant_access(request, participant_id)
        data = FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        submission = None
        if fields["submission_id"] is not None:
            submission = bank.submission_of(participant=access.target, submission_id=fields["submission_id"])
            if submission is None:
                raise serializers.ValidationError({"submission_id": ["No such submission of this student."]})
        feedback = classroom.feedback_add(participant=access.target, author=user_required(request),
                                          data=classroom.FeedbackInput(fields["file_name"], fields["line"],
                                                                       fields["text"], submission))  # fmt: skip
        return Response(classroom.feedback_view(feedback), status=status.HTTP_201_CREATED)
