from typing import Any

from django.core.management.base import BaseCommand

from gitarchive.jobs import jobs_resume_stale


class Command(BaseCommand):
    help = ("Resume GitHub archive jobs whose worker stopped (a restart): each resumes where it was, or fails "
            "cleanly after too many interruptions. Jobs also resume when someone looks at their progress.")

    def handle(self, *args: Any, **options: Any) -> None:
        count = jobs_resume_stale(inline=True)
        self.stdout.write(f"{count} archive job(s) resumed")
