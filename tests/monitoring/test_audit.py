"""The audit log: listed for admins (API and Django admin), lockouts recorded once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coding import signals as coding_signals
from monitoring.models import AuditEvent
from monitoring.services import audit_record
from observer import signals as observer_signals
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/monitoring/audit"


@pytest.fixture
def admin(client_for, admin_user: Any) -> Any:
    return client_for(admin_user)


def test_it_lists_audit_events_newest_first_with_filters(admin, teacher, student) -> None:
    audit_record(action="auth.login", actor=teacher)
    audit_record(action="auth.login_failed", details={"username": "mallory"})
    old = audit_record(action="session.ended", actor=teacher, target=student)
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))

    page = admin.get(URL).json()
    assert page["count"] == 3
    assert [e["action"] for e in page["results"]] == ["auth.login_failed", "auth.login", "session.ended"]
    assert page["results"][1]["actor_label"] == teacher.username
    assert page["results"][1]["actor_id"] == str(teacher.id)
    assert page["results"][2]["target_label"] == str(student)

    def actions(**query: str) -> list[str]:
        return [e["action"] for e in admin.get(URL, query).json()["results"]]

    assert actions(action="auth.login") == ["auth.login"]
    assert actions(action="auth.") == ["auth.login_failed", "auth.login"]  # a trailing dot: a family
    assert actions(actor=teacher.username) == ["auth.login", "session.ended"]
    assert actions(since=(timezone.now() - timedelta(days=1)).isoformat()) == ["auth.login_failed", "auth.login"]
    assert admin.get(URL, {"page_size": 1, "page": 3}).json()["results"][0]["action"] == "session.ended"


def test_it_records_a_login_lockout_once_however_often_it_is_hit(api, student) -> None:
    for _ in range(8):
        api.post("/api/auth/login", {"username": student.username, "password": "wrong"}, format="json")
    response = api.post("/api/auth/login", {"username": student.username, "password": PASSWORD}, format="json")
    assert response.status_code == 429

    lockouts = AuditEvent.objects.filter(action="ratelimit.lockout")
    assert lockouts.count() == 1
    assert lockouts.get().details["scope"] == "login"
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5


def test_it_records_a_run_rate_lockout_with_who_was_locked_out(student) -> None:
    for _ in range(3):
        coding_signals.run_rejected.send(sender=None, language="python", reason="rate", principal=student)
    coding_signals.run_rejected.send(sender=None, language="python", reason="concurrency", principal=student)

    lockout = AuditEvent.objects.get(action="ratelimit.lockout")
    assert lockout.actor == student
    assert lockout.details == {"scope": "run", "limit": "runs_per_window", "who": student.username}


def test_it_keeps_separate_lockouts_for_separate_people(student, teacher) -> None:
    observer_signals.rate_limited.send(sender=None, scope="join", key="join_ip", principal=student)
    observer_signals.rate_limited.send(sender=None, scope="join", key="join_ip", principal=teacher)
    observer_signals.rate_limited.send(sender=None, scope="join", key="join_ip", principal=teacher)
    assert AuditEvent.objects.filter(action="ratelimit.lockout").count() == 2


def test_it_shows_the_audit_log_read_only_in_the_django_admin(admin_user) -> None:
    audit_record(action="auth.login", actor=admin_user)
    client = Client()
    client.force_login(admin_user)
    listing = client.get("/admin/monitoring/auditevent/")
    assert listing.status_code == 200 and b"auth.login" in listing.content
    assert client.get("/admin/monitoring/auditevent/add/").status_code == 403
    assert client.get("/admin/monitoring/errorevent/").status_code == 200
