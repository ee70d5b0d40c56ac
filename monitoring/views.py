"""Monitoring endpoints: /health, /metrics, the admin JSON API and /api/me/limits."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.principals import as_principal
from monitoring import health, metrics, resources, selectors, serializers
from monitoring.conf import conf
from monitoring.permissions import IsOperator
from observer.errors import error_body
from observer.ratelimits import client_ip


@never_cache
@require_safe
async def health_view(request: HttpRequest) -> HttpResponse:
    """Public and tiny, for nginx, systemd and uptime checks: "ok" or HTTP 503."""
    if await health.is_alive():
        return HttpResponse("ok\n", content_type="text/plain")
    return HttpResponse("unhealthy\n", content_type="text/plain", status=503)


def _ip_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in conf("MONITORING_METRICS_ALLOWED_IPS") or []:
        try:
            if ip in ipaddress.ip_network(str(entry), strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_ok(request: HttpRequest) -> bool:
    expected = str(conf("MONITORING_METRICS_TOKEN") or "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # As bytes: compare_digest refuses str with non-ASCII characters (a header's bytes
    # that are not ASCII arrive as such), which would make a bad token a 500.
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for a scraper holding the token or calling from an allowed address."""
    if not (_token_ok(request) or _ip_allowed(client_ip(request))):
        if request.headers.get("Authorization"):
            response = JsonResponse(error_body("not_authenticated", "Wrong metrics token."), status=401)
        else:
            response = JsonResponse(
                error_body("permission_denied", "Metrics need a bearer token or an allowed address."), status=403
            )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)


class MonitoringPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _query(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class OperatorView(APIView):
    permission_classes = [IsOperator]


class FiguresView(OperatorView):
    @extend_schema(responses=serializers.FiguresSerializer)
    def get(self, request: Request) -> Response:
        return Response(selectors.current_figures())


class ExecutionListView(OperatorView):
    @extend_schema(
        parameters=[serializers.ExecutionFilterSerializer], responses=serializers.ExecutionSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        filters = _query(serializers.ExecutionFilterSerializer, request)
        runs = selectors.execution_list(
            language=filters.get("language"),
            status=filters.get("status"),
            session_id=filters.get("session"),
            user_id=filters.get("user"),
            participant_id=filters.get("participant"),
            since=filters.get("since"),
            until=filters.get("until"),
        )
        paginator = MonitoringPagination()
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(serializers.ExecutionSerializer(page, many=True).data)


class ApiKeyActivityView(OperatorView):
    @extend_schema(responses=serializers.ApiKeyActivitySerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(serializers.ApiKeyActivitySerializer(selectors.api_key_activity(), many=True).data)


class StatisticsView(OperatorView):
    @extend_schema(parameters=[serializers.PeriodSerializer], responses=serializers.StatisticsSerializer)
    def get(self, request: Request) -> Response:
        return Response(selectors.statistics(period=_query(serializers.PeriodSerializer, request)["period"]))


class ErrorListView(OperatorView):
    @extend_schema(
        parameters=[serializers.ErrorFilterSerializer], responses=serializers.ErrorEventSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        errors = selectors.error_list(source=_query(serializers.ErrorFilterSerializer, request).get("source"))
        paginator = MonitoringPagination()
        page = paginator.paginate_queryset(errors, request, view=self)
        return paginator.get_paginated_response(serializers.ErrorEventSerializer(page, many=True).data)


class AuditListView(OperatorView):
    @extend_schema(
        parameters=[serializers.AuditFilterSerializer], responses=serializers.AuditEventSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        events = selectors.audit_list(**_query(serializers.AuditFilterSerializer, request))
        paginator = MonitoringPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(serializers.AuditEventSerializer(page, many=True).data)


class ResourcesView(OperatorView):
    @extend_schema(responses=serializers.ResourcesSerializer)
    def get(self, request: Request) -> Response:
        return Response(resources.system_resources())


class HealthReportView(OperatorView):
    @extend_schema(responses=serializers.HealthReportSerializer)
    def get(self, request: Request) -> Response:
        return Response(async_to_sync(health.full_report)())


class MyLimitsView(APIView):
    """Runs used in the current window, remaining, concurrent runs: the figures enforcement uses."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=serializers.LimitsSerializer)
    def get(self, request: Request) -> Response:
        try:
            from coding.limits import run_usage
        except ImportError as exc:  # the live layer's limits module is not installed
            raise exceptions.APIException("Run limits are not available on this server.") from exc
        principal = as_principal(request.user)
        if principal is None:
            raise exceptions.NotAuthenticated()
        usage = run_usage(principal=principal)
        return Response(serializers.LimitsSerializer(usage).data)
