"""What `manage.py cleanup` does to classroom data: end idle sessions, drop expired guests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from coding.models import Execution
from observer.audit import audit_labels_forget
from sessions.models import ClassSession, Document, Participant, SessionState
from sessions.services.lifecycle import session_end


def sessions_end_idle(*, now: datetime | None = None) -> list[ClassSession]:
    """End live sessions where nothing happened (no join, edit, run, presence) for
    IDLE_SESSION_HOURS."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CLASSROOM["IDLE_SESSION_HOURS"])
    own = F("last_activity_at")
    idle = (
        ClassSession.objects.filter(state=SessionState.LIVE, last_activity_at__lt=cutoff)
        .annotate(
            latest=Greatest(  # NULLs coalesced: GREATEST treats them differently per database
                own,
                Coalesce(Max("participants__last_activity_at"), own),
                Coalesce(Max("participants__last_seen_at"), own),
                Coalesce(Max("executions__created_at"), own),
            )
        )
        .filter(latest__lt=cutoff)
    )
    return [session_end(session=session, reason="idle") for session in idle]


def guests_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete guests' participants (files, history, help requests, runs) once their
    session ended more than GUEST_RETENTION_DAYS ago, and their names from the audit log."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CLASSROOM["GUEST_RETENTION_DAYS"])
    guests = Participant.objects.filter(
        is_guest=True, session__state=SessionState.ENDED, session__ended_at__lt=cutoff
    )
    with transaction.atomic():
        ids = list(guests.values_list("pk", flat=True))
        runs = Execution.objects.filter(participant_id__in=ids).delete()[0]
        document_ids = list(Document.objects.filter(participant_id__in=ids).values_list("pk", flat=True))
        Participant.objects.filter(pk__in=ids).delete()
        labels = audit_labels_forget(participant_ids=ids, document_ids=document_ids)
    return {"guests": len(ids), "files": len(document_ids), "runs": runs, "audit_labels": labels}
