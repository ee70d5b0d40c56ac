"""Checks and Submits that a dead server process left `queued` (it was grading them when
it stopped): ended as errors with a message, which the student and the teachers hear as
they hear any result, so no submission waits for ever. Registered with coding.sweeper,
which tells dead processes from living ones."""

from __future__ import annotations

from django.db import transaction

from coding.sweeper import Owners
from exercises import classroom
from exercises.models import Submission, SubmissionStatus

ORPHANED_MESSAGE = "The server grading this stopped (a restart or a crash) before the tests ran; press it again."


def submissions_sweep(owners: Owners) -> int:
    """End the queued submissions of processes that no longer run; how many ended."""
    queued = Submission.objects.filter(status=SubmissionStatus.QUEUED).values_list("pk", "owner", "created_at")
    ended = 0
    for pk, owner, created_at in list(queued):
        if not owners.orphaned(owner, created_at):
            continue
        with transaction.atomic():
            if not Submission.objects.select_for_update().filter(pk=pk, status=SubmissionStatus.QUEUED).exists():
                continue  # graded meanwhile
            classroom.store(submission_id=pk, outcome=None, status=SubmissionStatus.ERROR, message=ORPHANED_MESSAGE)
        ended += 1
    return ended
