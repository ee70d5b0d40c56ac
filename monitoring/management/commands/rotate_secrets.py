"""Re-seal every stored secret with the newest of SECRETS_ENCRYPTION_KEYS (see
observer/secret_box.py): put a new key first, run this, then remove the old one."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from observer import secret_box


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the newest SECRETS_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for label, field in sorted(secret_box.SEALED_FIELDS):
            model = apps.get_model(label)
            changed = 0
            with transaction.atomic():
                for row in model.objects.select_for_update().exclude(**{field: ""}).only("pk", field):
                    setattr(row, field, secret_box.reseal(getattr(row, field)))
                    row.save(update_fields=[field])
                    changed += 1
            self.stdout.write(f"{label}.{field}: {changed} re-sealed")
            total += changed
        self.stdout.write(f"{total} secret(s) re-sealed with the newest key")
