"""A teacher's edit of a student's file is audited under one action name,
`file.teacher_edit`, whether it came through the files API or the live editor; the
entries recorded before under `code.teacher_edit` are renamed, so the operator's
audit filter and exports find them under the one name."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from monitoring.models import AuditEvent
from monitoring.services import audit_record

pytestmark = pytest.mark.django_db

migration = importlib.import_module("monitoring.migrations.0002_one_teacher_edit_action")


def test_it_renames_the_live_editors_old_entries() -> None:
    old = audit_record(action="code.teacher_edit", details={"participant_id": "p", "session_id": "s"})
    api = audit_record(action="file.teacher_edit", details={"participant_id": "p", "change": "update"})
    other = audit_record(action="auth.login")

    migration.one_name(apps, None)

    old.refresh_from_db()
    assert old.action == "file.teacher_edit"
    assert old.details == {"participant_id": "p", "session_id": "s", "change": "live"}
    api.refresh_from_db()
    assert (api.action, api.details["change"]) == ("file.teacher_edit", "update")
    assert AuditEvent.objects.get(pk=other.pk).action == "auth.login"
    assert not AuditEvent.objects.filter(action="code.teacher_edit").exists()


def test_the_rename_goes_back() -> None:
    live = audit_record(action="file.teacher_edit",
                        details={"participant_id": "p", "session_id": "s", "change": "live"})
    api = audit_record(action="file.teacher_edit", details={"participant_id": "p", "change": "update"})

    migration.two_names(apps, None)

    live.refresh_from_db()
    api.refresh_from_db()
    assert (live.action, live.details) == ("code.teacher_edit", {"participant_id": "p", "session_id": "s"})
    assert api.action == "file.teacher_edit"
