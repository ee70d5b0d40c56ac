"""Creates a demo teacher and a demo student, only when the database has no users."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import Role, User


class Command(BaseCommand):
    help = "Create a demo teacher and student with random passwords (only on an empty database)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", help="Use this password for both instead of random ones.")

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.exists():
            self.stdout.write("Users already exist; no demo accounts created.")
            return
        rows = []
        for username, role, name in (
            ("teacher", Role.TEACHER, "Demo Teacher"),
            ("student", Role.STUDENT, "Demo Student"),
        ):
            password = options["password"] or f"{role}-{secrets.token_urlsafe(9)}"
            user = User(username=username, role=role, display_name=name, is_staff=role == Role.TEACHER)
            user.set_password(password)
            user.save()
            rows.append((username, password, role))
        self.stdout.write(self.style.SUCCESS("Demo accounts created (shown once, keep them):"))
        for username, password, role in rows:
            self.stdout.write(f"  {role:<8} username: {username:<8} password: {password}")
