"""Judge0 submissions that a dead server process left In Queue or Processing (it was
running them when it stopped): ended as Internal Error with a message, their callback
sent as for any finished submission, so no client polls for ever. Registered with
coding.sweeper, which tells dead processes from living ones.

(The API's own executions need nothing here: their row exists once the program runs,
and coding.sweeper ends it.)"""

from __future__ import annotations

from django.db import transaction

from coding.sweeper import Owners
from integrations.judge0 import services
from integrations.models import Submission, SubmissionStatus

ORPHANED_CODE = "server_stopped"
ORPHANED_MESSAGE = "The server running this submission stopped (a restart or a crash) before it finished"
UNFINISHED = (SubmissionStatus.IN_QUEUE, SubmissionStatus.PROCESSING)


def submissions_sweep(owners: Owners) -> int:
    """End the unfinished submissions of processes that no longer run; how many ended."""
    unfinished = Submission.objects.filter(status__in=UNFINISHED).values_list("pk", "request", "created_at")
    ended = 0
    for pk, request, created_at in list(unfinished):
        if not owners.orphaned(str((request or {}).get(services.OWNER_KEY) or ""), created_at):
            continue
        with transaction.atomic():
            submission = (Submission.objects.select_for_update().select_related("api_key")
                          .filter(pk=pk, status__in=UNFINISHED).first())
            if submission is None:
                continue  # finished meanwhile
            services.finish(submission, result=None, execution=None, refusal=(ORPHANED_CODE, ORPHANED_MESSAGE))
        ended += 1
    return ended
