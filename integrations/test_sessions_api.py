"""The test sessions' API (/api/v1/test-sessions; integrations.test_sessions says what it
does): API keys with the `test-sessions` scope; another key's session is a 404."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.schema import error_responses
from exercises.grading import SUPPORTED_LANGUAGES
from exercises.models import Difficulty
from integrations import limits as key_limits
from integrations import test_sessions
from integrations.authentication import ApiKeyAuthentication, CanReadTestSessions, CanRunTestSessions, key_of
from integrations.executions import ExecutionFileSerializer
from observer.fields import StrictCharField


class TestSessionCreateSerializer(serializers.Serializer):
    candidate_name = StrictCharField(max_length=200)
    language = serializers.ChoiceField(choices=SUPPORTED_LANGUAGES)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices)
    questions = serializers.IntegerField(min_value=1, max_value=test_sessions.MAX_QUESTIONS,
                                         help_text="How many questions to pick from the bank")


class CodeSerializer(serializers.Serializer):
    code = StrictCharField(required=False, allow_blank=True, trim_whitespace=False,
                           help_text="The program, as the question's entry file (its first starter file)")
    files = ExecutionFileSerializer(many=True, required=False, min_length=1, max_length=16,  # type: ignore[call-arg]
                                    help_text="Instead of code: several files, the entry first")
    question_number = serializers.IntegerField(required=False, min_value=1,
                                               help_text="The question this code answers (409 if it is not open)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("code" in attrs) == ("files" in attrs):
            raise serializers.ValidationError({"code": ["Send either code or files."]})
        return attrs

    def code_of(self) -> test_sessions.Code:
        data = self.validated_data
        return test_sessions.Code(code=data.get("code"), files=[dict(f) for f in data.get("files") or []],
                                  question_number=data.get("question_number"))


class QuestionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    statement = serializers.CharField(help_text="Markdown")
    statement_html = serializers.CharField(help_text="The statement rendered, safe to show")
    starter_files = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    sample_tests = serializers.ListField(child=serializers.DictField(),
                                         help_text="{id, name, kind, weight, stdin, expected_stdout, comparison} "
                                                   "or {..., file} for a unit test")
    hidden_tests = serializers.IntegerField(help_text="How many hidden tests there are (nothing else of them)")
    max_score = serializers.IntegerField()
    handed_out_at = serializers.DateTimeField()


class CreatedSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    question = QuestionSerializer()
    question_number = serializers.IntegerField()
    total_questions = serializers.IntegerField()


class GradeSerializer(serializers.Serializer):
    question_number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["graded", "compile-error", "error"])
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    passed = serializers.BooleanField(help_text="Every test passed")
    message = serializers.CharField()
    tests_passed = serializers.IntegerField()
    tests_total = serializers.IntegerField()
    hidden_total = serializers.IntegerField()
    hidden_passed = serializers.IntegerField()
    run = serializers.DictField(help_text="{status, wall_ms, cpu_ms}")
    test_results = serializers.ListField(child=serializers.DictField(),
                                         help_text="Per test; a hidden one only {id, kind, visibility, weight, "
                                                   "passed, status, score}")


class SubmittedSerializer(GradeSerializer):
    next_question = QuestionSerializer(allow_null=True)
    next_question_number = serializers.IntegerField(allow_null=True)
    total_questions = serializers.IntegerField()
    complete = serializers.BooleanField()


class ReportQuestionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    exercise_id = serializers.UUIDField(allow_null=True)
    state = serializers.ChoiceField(choices=["waiting", "open", "submitted"])
    status = serializers.CharField(allow_null=True, help_text="The submit's: graded, compile-error, error")
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    passed = serializers.BooleanField()
    attempts = serializers.IntegerField(help_text="Sample-test runs and the submit")
    sample_runs = serializers.IntegerField()
    handed_out_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    time_spent_seconds = serializers.FloatField(allow_null=True, help_text="Handed out → submitted")
    files = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    test_results = serializers.ListField(child=serializers.DictField())


class ReportSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    candidate_name = serializers.CharField()
    language = serializers.CharField()
    difficulty = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "complete"])
    complete = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    total_questions = serializers.IntegerField()
    question_number = serializers.IntegerField(allow_null=True, help_text="The open question's")
    question = QuestionSerializer(allow_null=True, help_text="The open question (to resume)")
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    questions = ReportQuestionSerializer(many=True)


class TestSessionsView(key_limits.KeyLimitedMixin, APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated, CanRunTestSessions]

    @extend_schema(request=TestSessionCreateSerializer, responses={201: CreatedSerializer, **error_responses(429)},
                   tags=["test sessions"], summary="Start a test session: questions picked from the bank")
    def post(self, request: Request) -> Response:
        key = key_of(request)
        data = TestSessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        picked = test_sessions.pick_questions(owner=key.owner, language=fields["language"],
                                              difficulty=fields["difficulty"], count=fields["questions"])
        key_limits.take_test_session(request._request, key=key)
        session = test_sessions.session_create(key=key, candidate_name=fields["candidate_name"],
                                               language=fields["language"], difficulty=fields["difficulty"],
                                               picked=picked)  # fmt: skip
        question = test_sessions.current_question(session)
        assert question is not None  # the first, handed out with the session
        return Response({"session_id": str(session.pk), "question_number": question.number,
                         "question": test_sessions.question_view(question, language=session.language),
                         "total_questions": len(picked)}, status=status.HTTP_201_CREATED)  # fmt: skip


class TestSessionView(key_limits.KeyLimitedMixin, APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated, CanReadTestSessions]

    @extend_schema(responses={200: ReportSerializer, **error_responses(429)}, tags=["test sessions"],
                   summary="A test session's report (per question: score, attempts, time spent)")
    def get(self, request: Request, test_session_id: uuid.UUID) -> Response:
        session = test_sessions.key_session(key=key_of(request), session_id=test_session_id)
        question = test_sessions.current_question(session)
        return Response({**test_sessions.report(session),
                         "question": test_sessions.question_view(question, language=session.language)
                         if question else None})  # fmt: skip


class _RunView(key_limits.KeyLimitedMixin, APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated, CanRunTestSessions]

    def _parse(self, request: Request, test_session_id: uuid.UUID) -> tuple[Any, test_sessions.Code]:
        session = test_sessions.key_session(key=key_of(request), session_id=test_session_id)
        body = CodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return session, body.code_of()

    def _take_run(self, request: Request) -> Any:
        return lambda: key_limits.take_executions(request._request, key=key_of(request), count=1)


class TestSessionTestView(_RunView):
    @extend_schema(request=CodeSerializer, responses={200: GradeSerializer, **error_responses(409, 429)},
                   tags=["test sessions"], summary="Run the open question's sample tests on the code")
    def post(self, request: Request, test_session_id: uuid.UUID) -> Response:
        session, code = self._parse(request, test_session_id)
        return Response(test_sessions.sample_run(session=session, code=code, take_run=self._take_run(request)))


class TestSessionSubmitView(_RunView):
    @extend_schema(request=CodeSerializer, responses={200: SubmittedSerializer, **error_responses(409, 429)},
                   tags=["test sessions"],
                   summary="Submit the open question (every test; hidden ones withheld) and get the next")
    def post(self, request: Request, test_session_id: uuid.UUID) -> Response:
        session, code = self._parse(request, test_session_id)
        return Response(test_sessions.submit(session=session, code=code, take_run=self._take_run(request)))
