from django.urls import URLPattern, URLResolver, path

from monitoring import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("health", views.health_view, name="health"),
    path("metrics", views.metrics_view, name="metrics"),
    path("api/me/limits", views.MyLimitsView.as_view(), name="my-limits"),
    path("api/monitoring/figures", views.FiguresView.as_view(), name="monitoring-figures"),
    path("api/monitoring/executions", views.ExecutionListView.as_view(), name="monitoring-executions"),
    path("api/monitoring/api-keys", views.ApiKeyActivityView.as_view(), name="monitoring-api-keys"),
    path("api/monitoring/statistics", views.StatisticsView.as_view(), name="monitoring-statistics"),
    path("api/monitoring/errors", views.ErrorListView.as_view(), name="monitoring-errors"),
    path("api/monitoring/audit", views.AuditListView.as_view(), name="monitoring-audit"),
    path("api/monitoring/resources", views.ResourcesView.as_view(), name="monitoring-resources"),
    path("api/monitoring/health", views.HealthReportView.as_view(), name="monitoring-health"),
]
