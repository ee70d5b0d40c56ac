"""Helpers the session services share: state checks, size caps, activity stamps, event payloads."""

from __future__ import annotations

import math

from django.utils import timezone

from observer import contract
from observer.errors import FileTooLarge, SessionEnded
from sessions import events, filenames, selectors
from sessions.models import ClassSession, HelpRequest, Participant, SessionState


def require_not_ended(session: ClassSession) -> None:
    """Students are read-only once a session ends (409 session_ended)."""
    if session.state == SessionState.ENDED:
        raise SessionEnded("This session has ended; its files are read-only.")


def check_size(*, content: str, language: str, field_name: str = "content") -> None:
    limit = filenames.max_content_bytes(language)
    if filenames.content_size(content) > limit:
        raise FileTooLarge(f"{field_name}: the file is larger than the {limit // 1024} KB limit.")


def check_total_size(*, total: int, language: str, what: str = "The files") -> None:
    """A participant's files together fit in one run: the sandbox caps the source of a
    run (every file of it together), not each file."""
    limit = filenames.max_content_bytes(language)
    if total > limit:
        raise FileTooLarge(
            f"{what} together would be {math.ceil(total / 1024)} KB, over the {limit // 1024} KB "
            "one run can take (all files together). Make room by deleting or shortening a file."
        )


def touch_session(session: ClassSession, *, participant: Participant | None = None) -> None:
    now = timezone.now()
    ClassSession.objects.filter(pk=session.pk).update(last_activity_at=now)
    if participant is not None:
        Participant.objects.filter(pk=participant.pk).update(last_activity_at=now)


def session_payload(session: ClassSession) -> contract.ClassSession:
    from sessions.serializers import SessionOutputSerializer

    return contract.ClassSession(dict(SessionOutputSerializer(selectors.session_detail(session_id=session.pk)).data))


def participant_payload(participant: Participant) -> contract.ParticipantStatus:
    from sessions.serializers import ParticipantStatusSerializer

    return contract.ParticipantStatus(
        dict(ParticipantStatusSerializer(selectors.participant_with_status(participant_id=participant.pk)).data)
    )


def help_payload(help_request: HelpRequest) -> contract.HelpRequest:
    from sessions.serializers import HelpRequestOutputSerializer

    return contract.HelpRequest(dict(HelpRequestOutputSerializer(help_request).data))


def broadcast_session(session: ClassSession) -> None:
    events.broadcast_on_commit(
        groups=[events.session_group(session.pk, "all")],
        event=contract.SessionUpdated(type="session.updated", session=session_payload(session)),
    )


def broadcast_help(help_request: HelpRequest, event_type: contract.HelpChange) -> None:
    payload = help_payload(help_request)
    events.broadcast_on_commit(
        groups=[events.session_group(help_request.session_id, "teachers")],
        event=contract.HelpChanged(type=event_type, help_request=payload),
    )
    events.broadcast_on_commit(
        groups=[events.participant_group(help_request.participant_id)],
        event=contract.HelpUpdated(type="help.updated", help_request=payload),
    )
