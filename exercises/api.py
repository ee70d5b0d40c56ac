"""The exercise bank's REST API (docs/API.md, "Exercises"): thin views that parse,
authorize through the selectors and permissions, and call one service."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.principals import as_principal
from exercises import checks, selectors, services, transfer
from exercises import serializers as s
from exercises.models import Exercise
from exercises.permissions import IsExerciseOwner, IsTeacherAccount
from exercises.runs import queued_run


class ExercisesPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ExerciseView(APIView):
    """A view on one exercise: `method_permissions` maps an HTTP method to the object
    permissions it needs beyond seeing the exercise."""

    method_permissions: dict[str, list[type[BasePermission]]] = {}

    def get_permissions(self) -> list[BasePermission]:
        method = "GET" if self.request.method == "HEAD" else (self.request.method or "GET")
        classes: list[type[BasePermission]] = [
            IsAuthenticated,
            IsTeacherAccount,
            *self.method_permissions.get(method, []),
        ]
        return [permission() for permission in classes]

    def access(self, request: Request, exercise_id: uuid.UUID) -> selectors.ExerciseAccess:
        access = selectors.exercise_access(principal=request.user, exercise_id=exercise_id)
        self.check_object_permissions(request, access)
        return access


def exercise_data(exercise: Exercise, *, principal: Any) -> dict[str, Any]:
    fresh = selectors.exercise_access(principal=principal, exercise_id=exercise.pk).exercise
    return dict(s.ExerciseOutputSerializer(fresh).data)


class ListQuerySerializer(serializers.Serializer):
    mine = serializers.BooleanField(default=False)


class ExercisesView(ExerciseView):
    @extend_schema(
        parameters=[OpenApiParameter("mine", bool, description="Only the caller's own exercises"),
                    OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: s.ExercisePageSerializer},
        operation_id="exercises_list",
        summary="Exercises the caller may use: their own and shared ones (admins: all), in pages",
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        query = ListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = ExercisesPagination()
        exercises = selectors.exercises_for(principal=request.user, mine=query.validated_data["mine"])
        page = paginator.paginate_queryset(exercises, request, view=self)
        return paginator.get_paginated_response(s.ExerciseSummarySerializer(page, many=True).data)

    @extend_schema(request=s.ExerciseCreateInputSerializer, responses={201: s.ExerciseOutputSerializer})
    def post(self, request: Request) -> Response:
        data = s.ExerciseCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        tests = fields.pop("tests")
        exercise = services.exercise_create(owner=request.user, data=fields, tests=tests)
        return Response(exercise_data(exercise, principal=request.user), status=status.HTTP_201_CREATED)


class ExerciseDetailView(ExerciseView):
    method_permissions = {"PATCH": [IsExerciseOwner], "DELETE": [IsExerciseOwner]}

    @extend_schema(responses={200: s.ExerciseOutputSerializer})
    def get(self, request: Request, exercise_id: uuid.UUID) -> Response:
        return Response(s.ExerciseOutputSerializer(self.access(request, exercise_id).exercise).data)

    @extend_schema(request=s.ExerciseInputSerializer(partial=True), responses={200: s.ExerciseOutputSerializer})
    def patch(self, request: Request, exercise_id: uuid.UUID) -> Response:
        exercise = self.access(request, exercise_id).exercise
        # Checked whole, so that files stay within the exercise's languages.
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected an object."]})
        current = {key: getattr(exercise, key) for key in s.ExerciseInputSerializer().fields.keys()}
        incoming = request.data
        data = s.ExerciseInputSerializer(data={**current, **incoming})
        data.is_valid(raise_exception=True)
        changed = {key: data.validated_data[key] for key in incoming if key in data.validated_data}
        exercise = services.exercise_update(exercise=exercise, data=changed)
        return Response(exercise_data(exercise, principal=request.user))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, exercise_id: uuid.UUID) -> Response:
        services.exercise_delete(exercise=self.access(request, exercise_id).exercise)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TestsView(ExerciseView):
    method_permissions = {"POST": [IsExerciseOwner]}

    @extend_schema(responses={200: s.TestCaseOutputSerializer(many=True)}, summary="An exercise's tests, in order")
    def get(self, request: Request, exercise_id: uuid.UUID) -> Response:
        exercise = self.access(request, exercise_id).exercise
        return Response(s.TestCaseOutputSerializer(selectors.tests_of(exercise=exercise), many=True).data)

    @extend_schema(request=s.TestCaseInputSerializer, responses={201: s.TestCaseOutputSerializer})
    def post(self, request: Request, exercise_id: uuid.UUID) -> Response:
        exercise = self.access(request, exercise_id).exercise
        data = s.TestCaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        test = services.test_create(exercise=exercise, data=data.validated_data)
        return Response(s.TestCaseOutputSerializer(test).data, status=status.HTTP_201_CREATED)


class TestDetailView(ExerciseView):
    method_permissions = {"PATCH": [IsExerciseOwner], "DELETE": [IsExerciseOwner]}

    @extend_schema(responses={200: s.TestCaseOutputSerializer})
    def get(self, request: Request, exercise_id: uuid.UUID, test_id: uuid.UUID) -> Response:
        exercise = self.access(request, exercise_id).exercise
        return Response(s.TestCaseOutputSerializer(selectors.test_of(exercise=exercise, test_id=test_id)).data)

    @extend_schema(request=s.TestCaseInputSerializer(partial=True), responses={200: s.TestCaseOutputSerializer})
    def patch(self, request: Request, exercise_id: uuid.UUID, test_id: uuid.UUID) -> Response:
        exercise = self.access(request, exercise_id).exercise
        test = selectors.test_of(exercise=exercise, test_id=test_id)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected an object."]})
        data = s.TestCaseInputSerializer(data={**services.test_as_input(test), **request.data})
        data.is_valid(raise_exception=True)
        test = services.test_update(test=test, data=data.validated_data)
        return Response(s.TestCaseOutputSerializer(test).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, exercise_id: uuid.UUID, test_id: uuid.UUID) -> Response:
        exercise = self.access(request, exercise_id).exercise
        services.test_delete(test=selectors.test_of(exercise=exercise, test_id=test_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportView(ExerciseView):
    @extend_schema(responses={200: dict}, summary="One exercise as an import/export document",
                   operation_id="exercise_export")  # fmt: skip
    def get(self, request: Request, exercise_id: uuid.UUID) -> Response:
        exercise = self.access(request, exercise_id).exercise
        response = Response(transfer.export_document(exercises=[exercise]))
        response["Content-Disposition"] = f'attachment; filename="exercise-{exercise.pk}.json"'
        return response


class ExportMineView(ExerciseView):
    @extend_schema(responses={200: dict}, summary="The caller's own exercises as one import/export document",
                   operation_id="exercises_export_mine")  # fmt: skip
    def get(self, request: Request) -> Response:
        exercises = selectors.exercises_for(principal=request.user, mine=True).order_by("created_at")
        response = Response(transfer.export_document(exercises=exercises))
        response["Content-Disposition"] = 'attachment; filename="exercises.json"'
        return response


class ImportView(ExerciseView):
    @extend_schema(request=transfer.ImportDocumentSerializer, responses={201: s.ExerciseSummarySerializer(many=True)},
                   summary="Create the document's exercises, owned by the caller (all or none)")  # fmt: skip
    def post(self, request: Request) -> Response:
        created = transfer.import_document(owner=request.user, document=request.data)
        exercises = selectors.exercises_for(principal=request.user, mine=True).filter(pk__in=[e.pk for e in created])
        return Response(s.ExerciseSummarySerializer(exercises.order_by("created_at"), many=True).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip


class SolutionCheckInputSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=s.LANGUAGE_CHOICES, required=False,
                                       help_text="Default: every language the exercise has a solution in")  # fmt: skip


class SolutionCheckView(ExerciseView):
    method_permissions = {"POST": [IsExerciseOwner]}

    @extend_schema(request=SolutionCheckInputSerializer, responses={200: dict},
                   summary="Run the reference solution against every test; the exercise keeps the outcome")  # fmt: skip
    def post(self, request: Request, exercise_id: uuid.UUID) -> Response:
        exercise = self.access(request, exercise_id).exercise
        principal = as_principal(request.user)
        assert principal is not None  # the permissions let only signed-in teachers in
        data = SolutionCheckInputSerializer(data=request.data if isinstance(request.data, dict) else None)
        data.is_valid(raise_exception=True)
        language = data.validated_data.get("language")
        languages = (
            [language] if language else [lang for lang in exercise.languages if exercise.solution_files.get(lang)]
        )
        if not languages:
            raise serializers.ValidationError({"language": ["This exercise has no reference solution to run."]})
        results = {}
        for lang in languages:
            # Through the run service: the teacher's run limits and place in the fair queue.
            check = checks.solution_check(exercise=exercise, language=lang, run=queued_run(principal=principal))
            results[lang] = {**check.stored, "grade": check.grade.as_dict(for_student=False)}
        return Response({"results": results, "exercise": exercise_data(exercise, principal=request.user)})
