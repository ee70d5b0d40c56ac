"""Create an API key from the command line (operators, scripts, the benchmark); prints
the secret, which is shown this once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from integrations import keys
from integrations.models import Scope


class Command(BaseCommand):
    help = "Create an API key for a user and print its secret."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("owner", help="The owner's username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--scopes", default="execute,read", help=f"Comma-separated: {', '.join(Scope.values)}")
        parser.add_argument("--requests-rate", default="")
        parser.add_argument("--executions-rate", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = User.objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"no user {options['owner']!r}")
        issued = keys.key_create(owner=owner, actor=owner, name=options["name"],
                                 scopes=[s.strip() for s in options["scopes"].split(",") if s.strip()],
                                 requests_rate=options["requests_rate"], executions_rate=options["executions_rate"])
        self.stdout.write(issued.secret)
