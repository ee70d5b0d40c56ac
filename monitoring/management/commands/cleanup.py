"""`manage.py cleanup` (run by observer-cleanup.timer): end idle sessions, delete guests'
data past retention, end what a dead server process left unfinished (runs, submissions
being graded, Judge0 submissions, AI answers), purge leftover sandbox work directories,
prune old history (the integrations' too: Judge0 submissions, API runs' output, webhook
deliveries)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from coding.sweeper import sweep_all
from integrations import retention
from monitoring.services import history_prune
from sessions import services

WORKDIR_MAX_AGE_SECONDS = 3600


def purge_work_dirs(*, root: Path, max_age_seconds: int = WORKDIR_MAX_AGE_SECONDS) -> int:
    """Remove entries of the sandbox work root older than `max_age_seconds`. Symlinks
    are unlinked, never followed (a sandboxed program may have planted them)."""
    from coding.sandbox.workdir import remove_tree

    if root.is_symlink() or not root.is_dir():
        return 0
    cutoff = time.time() - max_age_seconds
    removed = 0
    with os.scandir(root) as entries:
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue  # maybe a run in progress
                if entry.is_dir(follow_symlinks=False):
                    remove_tree(entry.path)
                else:
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue  # its run cleaned up meanwhile
            removed += 1
    return removed


class Command(BaseCommand):
    help = ("End idle sessions, delete expired guest data, end orphaned runs and work, purge sandbox leftovers, "
            "prune history.")

    def handle(self, *args: Any, **options: Any) -> None:
        classroom = settings.CLASSROOM
        ended = services.sessions_end_idle()
        self.stdout.write(
            f"Ended {len(ended)} session(s) idle for over {classroom['IDLE_SESSION_HOURS']} hours"
            + (f": {', '.join(s.title for s in ended)}" if ended else "")
        )
        guests = services.guests_purge()
        self.stdout.write(
            f"Deleted {guests['guests']} guest participant(s) of sessions ended over "
            f"{classroom['GUEST_RETENTION_DAYS']} days ago ({guests['files']} files, {guests['runs']} runs; "
            f"{guests['audit_labels']} audit entries no longer name them)"
        )
        swept = sweep_all()
        self.stdout.write("Ended what a server process that stopped left unfinished: "
                          + ", ".join(f"{n} {name}" for name, n in swept.items()))
        work_root = Path(settings.SANDBOX_WORK_ROOT)
        purged = purge_work_dirs(root=work_root)
        self.stdout.write(f"Removed {purged} leftover sandbox work dir(s) from {work_root}")
        pruned = history_prune() | retention.history_prune()
        self.stdout.write("Pruned history: " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in pruned.items()))
