"""history_prune (run by `manage.py cleanup`): runs, audit entries and errors past retention go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from coding.models import Execution
from monitoring.models import AuditEvent, ErrorEvent
from monitoring.services import audit_record, error_record, history_prune
from tests.monitoring.conftest import make_run

pytestmark = pytest.mark.django_db


@override_settings(RETENTION_DAYS={"executions": 30, "audit": 90, "errors": 7})
def test_it_prunes_each_kind_of_history_past_its_own_retention() -> None:
    now = timezone.now()
    keep_run = make_run(created_at=now - timedelta(days=29))
    make_run(created_at=now - timedelta(days=31))
    keep_audit = audit_record(action="auth.login")
    old_audit = audit_record(action="auth.login")
    AuditEvent.objects.filter(pk=old_audit.pk).update(created_at=now - timedelta(days=91))
    error_record(source="sandbox", message="recent")
    old_error = error_record(source="sandbox", message="old")
    assert old_error is not None
    ErrorEvent.objects.filter(pk=old_error.pk).update(created_at=now - timedelta(days=8))

    assert history_prune(now=now) == {"executions": 1, "audit_events": 1, "errors": 1}
    assert list(Execution.objects.values_list("pk", flat=True)) == [keep_run.pk]
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [keep_audit.pk]
    assert list(ErrorEvent.objects.values_list("message", flat=True)) == ["recent"]
    assert history_prune(now=now) == {"executions": 0, "audit_events": 0, "errors": 0}


@override_settings(MONITORING_ERROR_LIST_MAX_ROWS=3)
def test_it_keeps_only_the_newest_errors_past_the_cap(client_for, admin_user) -> None:
    for n in range(1, 6):
        error_record(source="sandbox", message=f"failure {n}")
    assert list(ErrorEvent.objects.order_by("pk").values_list("message", flat=True)) == [
        "failure 3", "failure 4", "failure 5",
    ]  # fmt: skip
    listed = client_for(admin_user).get("/api/monitoring/errors").json()
    assert listed["count"] == 3 and listed["results"][0]["message"] == "failure 5"


@override_settings(MONITORING_ERROR_LIST_MAX_ROWS=2)
def test_it_trims_the_error_list_with_one_index_probe_and_one_delete(django_assert_num_queries) -> None:
    with django_assert_num_queries(2):  # insert, probe: under the cap nothing is deleted
        error_record(source="api", message="first")
    error_record(source="api", message="second")
    with django_assert_num_queries(3):  # insert, probe, one DELETE
        error_record(source="api", message="third")
    assert ErrorEvent.objects.count() == 2


def test_it_applies_the_cap_when_pruning_history_too() -> None:
    for n in range(4):
        error_record(source="sandbox", message=f"failure {n}")
    with override_settings(MONITORING_ERROR_LIST_MAX_ROWS=1):
        assert history_prune()["errors"] == 3
    assert list(ErrorEvent.objects.values_list("message", flat=True)) == ["failure 3"]
