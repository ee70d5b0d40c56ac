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
