"""What the cleanup command prunes of the integrations' history: finished Judge0
submissions, ended async executions' records and the output kept of API keys' runs past
API_OUTPUT_RETENTION_DAYS, and ended webhook deliveries past WEBHOOK_RETENTION_DAYS
(integrations.webhooks)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from coding.models import Execution
from integrations.judge0.services import UNFINISHED
from integrations.models import AsyncExecution, Submission
from integrations.webhooks import deliveries_prune


def history_prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete finished Judge0 submissions (their source, input and output) and empty the
    output tail of API keys' runs (the row stays for the history and the metrics until
    EXECUTION_RETENTION_DAYS) and delete the records of ended async executions, all ended
    over API_OUTPUT_RETENTION_DAYS ago; delete ended webhook deliveries. How many of each."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=int(settings.RETENTION_DAYS.get("api_output", 30)))
    return {
        "judge0_submissions": Submission.objects.exclude(status__in=UNFINISHED)
        .filter(finished_at__lt=cutoff).delete()[0],
        "api_run_outputs": Execution.objects.filter(api_key__isnull=False, finished_at__lt=cutoff)
        .exclude(output_tail="").update(output_tail=""),
        "async_executions": AsyncExecution.objects.filter(finished_at__lt=cutoff).delete()[0],
        "webhook_deliveries": deliveries_prune(now=now),
    }
