"""Help requests: raise (with context), claim, resolve, cancel."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from accounts.models import User
from observer.errors import Conflict
from sessions import selectors
from sessions.models import Document, HelpRequest, HelpState, Participant
from sessions.services.common import broadcast_help, require_not_ended, touch_session

LAST_OUTPUT_CHARS = 4000


def help_raise(
    *, participant: Participant, message: str = "", document_id: uuid.UUID | None = None, line: int | None = None
) -> HelpRequest:
    """Raise a hand. Captures the file, the line and the last run's output right now."""
    require_not_ended(participant.session)
    document = None
    if document_id is not None:
        document = Document.objects.filter(pk=document_id, participant=participant, deleted_at__isnull=True).first()
        if document is None:
            raise exceptions.ValidationError({"file_id": ["No such file among yours."]})
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        if selectors.help_open_of(participant=participant) is not None:
            raise Conflict("You already have an open help request; cancel it to ask again.")
        help_request = HelpRequest.objects.create(
            session_id=participant.session_id,
            participant=participant,
            message=message,
            document=document,
            file_name=document.name if document else "",
            line=line,
            last_output=selectors.last_run_output(participant=participant)[-LAST_OUTPUT_CHARS:],
        )
        broadcast_help(help_request, "help.raised")
        touch_session(participant.session, participant=participant)
    return help_request


def _help_transition(help_request: HelpRequest, *, allowed: tuple[str, ...], to: str, verb: str) -> None:
    if help_request.state not in allowed:
        raise Conflict(f"This help request is {help_request.state}; it cannot be {verb}.")
    help_request.state = to


def help_claim(*, help_request: HelpRequest, teacher: User) -> HelpRequest:
    if help_request.state == HelpState.CLAIMED and help_request.claimed_by_id == teacher.pk:
        return help_request
    _help_transition(help_request, allowed=(HelpState.OPEN, HelpState.CLAIMED), to=HelpState.CLAIMED, verb="claimed")
    help_request.claimed_by, help_request.claimed_at = teacher, timezone.now()
    with transaction.atomic():
        help_request.save(update_fields=["state", "claimed_by", "claimed_at"])
        broadcast_help(help_request, "help.claimed")
    return help_request


def help_resolve(*, help_request: HelpRequest, teacher: User) -> HelpRequest:
    _help_transition(help_request, allowed=selectors.OPEN_HELP_STATES, to=HelpState.RESOLVED, verb="resolved")
    help_request.resolved_at = timezone.now()
    if help_request.claimed_by_id is None:
        help_request.claimed_by, help_request.claimed_at = teacher, help_request.resolved_at
    with transaction.atomic():
        help_request.save(update_fields=["state", "resolved_at", "claimed_by", "claimed_at"])
        broadcast_help(help_request, "help.resolved")
    return help_request


def help_cancel(*, help_request: HelpRequest) -> HelpRequest:
    _help_transition(help_request, allowed=selectors.OPEN_HELP_STATES, to=HelpState.CANCELLED, verb="cancelled")
    help_request.resolved_at = timezone.now()
    with transaction.atomic():
        help_request.save(update_fields=["state", "resolved_at"])
        broadcast_help(help_request, "help.cancelled")
    return help_request
