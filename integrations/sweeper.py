"""What a dead server process left of the integrations' work, ended with its report sent
as for any finished one, so no client polls and no integrator waits for ever. Registered
with coding.sweeper, which tells dead processes from living ones (`Owners`):

- Judge0 submissions it left In Queue or Processing end as Internal Error with a message
  (`server_stopped`), their callback and their key's webhook queued (judge0.services.finish).
- `?async=true` executions it left queued or running end as `server_stopped` (what GET
  answers for them), their key's webhook queued (integrations.async_executions.async_stopped).
  Their `Execution` row, if the program had started, is coding.sweeper's own (`killed`).

Each is ended by a conditional update that claims the row: of the sweep and a run that
finishes late (its process only looked dead), exactly one records and reports it.
"""

from __future__ import annotations

from coding.sweeper import Owners
from integrations import async_executions
from integrations.judge0 import services
from integrations.models import AsyncExecution, Submission

ORPHANED_CODE = "server_stopped"
ORPHANED_MESSAGE = "The server running this submission stopped (a restart or a crash) before it finished"


def submissions_sweep(owners: Owners) -> int:
    """End the unfinished submissions of processes that no longer run; how many ended."""
    unfinished = Submission.objects.filter(status__in=services.UNFINISHED).values_list("pk", "owner", "created_at")
    ended = 0
    for pk, owner, created_at in list(unfinished):
        if not owners.orphaned(owner, created_at):
            continue
        submission = Submission.objects.select_related("api_key").filter(pk=pk).first()
        if submission is None or submission.status not in services.UNFINISHED:
            continue  # finished meanwhile
        if services.record_end(submission, result=None, execution=None, refusal=(ORPHANED_CODE, ORPHANED_MESSAGE)):
            ended += 1  # (else it finished first)
    return ended



def async_executions_sweep(owners: Owners) -> int:
    """End the unfinished async executions of processes that no longer run; how many ended."""
    queued = AsyncExecution.objects.filter(state=AsyncExecution.State.QUEUED).values_list("pk", "owner",
                                                                                         "created_at")
    return sum(1 for pk, owner, created_at in list(queued)
               if owners.orphaned(owner, created_at) and async_executions.async_stopped(ticket=pk))
