"""Deliver the webhooks that are due (run each minute by a timer; `--loop` keeps going)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from integrations import webhooks


class Command(BaseCommand):
    help = "Deliver due webhooks (retries with backoff for a day)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep delivering, every --every seconds")
        parser.add_argument("--every", type=float, default=10.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            tried = webhooks.deliver_due()
            if options["verbosity"] > 1:
                self.stdout.write(f"tried {tried} deliveries")
            if not options["loop"]:
                return
            time.sleep(options["every"])
