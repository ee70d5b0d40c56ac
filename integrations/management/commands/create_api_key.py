"""Create an API key from the command line (operators, scripts, the benchmark); prints
the secret, which is shown this once (and, with --webhook-url, the webhook secret on
stderr, which signs the key's webhooks)."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from integrations import keys, webhooks
from integrations.keys_api import RATE, RATE_MESSAGE
from integrations.models import Scope

RATES = ("requests_rate", "executions_rate", "test_sessions_rate")


class Command(BaseCommand):
    help = "Create an API key for a user and print its secret."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("owner", help="The owner's username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--scopes", default="execute,read", help=f"Comma-separated: {', '.join(Scope.values)}")
        parser.add_argument("--requests-rate", default="", help="e.g. 200/15m (default: API_KEY_REQUESTS_RATE)")
        parser.add_argument("--executions-rate", default="", help="e.g. 10/m (default: API_KEY_EXECUTIONS_RATE)")
        parser.add_argument("--test-sessions-rate", default="",
                            help="e.g. 50/15m (default: API_KEY_TEST_SESSIONS_RATE)")
        parser.add_argument("--webhook-url", default="",
                            help="Where the key's events go (a run finished, a test session completed); "
                                 "a public http(s) URL unless WEBHOOK_ALLOW_PRIVATE")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = User.objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"no user {options['owner']!r}")
        for name in RATES:
            if options[name] and not re.match(RATE, options[name]):
                raise CommandError(f"--{name.replace('_', '-')}: {RATE_MESSAGE}")
        if options["webhook_url"]:
            try:
                webhooks.check_url(options["webhook_url"])
            except webhooks.UnsafeUrl as exc:
                raise CommandError(f"--webhook-url {exc}") from None
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        unknown = sorted(set(scopes) - set(Scope.values))
        if not scopes or unknown:
            raise CommandError(f"--scopes: one or more of {', '.join(Scope.values)}, comma-separated")
        issued = keys.key_create(owner=owner, actor=owner, name=options["name"], scopes=scopes,
                                 **{name: options[name] for name in RATES}, webhook_url=options["webhook_url"])
        self.stdout.write(issued.secret)
        if issued.key.webhook_url:
            self.stderr.write(f"webhook secret: {issued.key.webhook_secret}")
