"""The audit log in the Django admin: role changes are recorded; entries cannot be
deleted one by one or in bulk."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from monitoring.models import AuditEvent, ErrorEvent
from monitoring.services import audit_record, error_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def change_form_data(user: Any, **changes: str) -> dict[str, str]:
    """What the admin's user change form posts when only `changes` are edited."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "is_active": "on", "role": user.role, "display_name": user.display_name,
        "date_joined_0": joined.strftime("%Y-%m-%d"), "date_joined_1": joined.strftime("%H:%M:%S"),
    }  # fmt: skip
    return {**data, **changes}


def test_it_records_a_role_change_made_in_the_admin(admin_client, admin_user, student) -> None:
    url = f"/admin/accounts/user/{student.pk}/change/"
    response = admin_client.post(url, change_form_data(student, role=Role.TEACHER))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    student.refresh_from_db()
    assert student.role == Role.TEACHER

    event = AuditEvent.objects.get(action="user.role_changed")
    assert event.actor == admin_user
    assert event.target_id == str(student.pk)
    assert event.details == {"from": Role.STUDENT, "to": Role.TEACHER}
    assert event.ip == "127.0.0.1"


def test_it_records_nothing_when_an_admin_edit_keeps_the_role(admin_client, student) -> None:
    response = admin_client.post(f"/admin/accounts/user/{student.pk}/change/",
                                 change_form_data(student, display_name="Renamed"))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="user.role_changed").exists()


def test_it_refuses_to_delete_an_audit_entry_from_the_admin(admin_client) -> None:
    event = audit_record(action="session.exported")
    url = f"/admin/monitoring/auditevent/{event.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_offers_no_bulk_delete_and_ignores_one_that_is_posted(admin_client) -> None:
    events = [audit_record(action="session.exported") for _ in range(3)]
    listing = admin_client.get("/admin/monitoring/auditevent/")
    assert listing.status_code == 200 and b"delete_selected" not in listing.content

    response = admin_client.post(
        "/admin/monitoring/auditevent/",
        {"action": "delete_selected", "_selected_action": [e.pk for e in events], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in events]).count() == 3


def test_it_keeps_the_error_list_out_of_hand_deletion_too(admin_client) -> None:
    error = error_record(source="sandbox", message="bwrap: setting up uid map")
    assert error is not None
    assert admin_client.get(f"/admin/monitoring/errorevent/{error.pk}/delete/").status_code == 403
    assert ErrorEvent.objects.filter(pk=error.pk).exists()
