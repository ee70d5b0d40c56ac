"""One audit action for a teacher's edit of a student's file: the live editor's
entries, recorded as `code.teacher_edit` until now, become `file.teacher_edit` with
`change: "live"` (the files API's carry create / update / delete), so the audit
filter and the exports find every teacher edit under one name."""

from django.db import migrations

OLD, NEW, LIVE = "code.teacher_edit", "file.teacher_edit", "live"


def one_name(apps, schema_editor):
    AuditEvent = apps.get_model("monitoring", "AuditEvent")
    rows = list(AuditEvent.objects.filter(action=OLD))
    for row in rows:
        row.action = NEW
        row.details = {**(row.details or {}), "change": LIVE}
    AuditEvent.objects.bulk_update(rows, ["action", "details"], batch_size=500)


def two_names(apps, schema_editor):
    AuditEvent = apps.get_model("monitoring", "AuditEvent")
    rows = [row for row in AuditEvent.objects.filter(action=NEW) if (row.details or {}).get("change") == LIVE]
    for row in rows:
        row.action = OLD
        row.details = {k: v for k, v in row.details.items() if k != "change"}
    AuditEvent.objects.bulk_update(rows, ["action", "details"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(one_name, two_names)]
