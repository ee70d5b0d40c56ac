"""Session events for browsers, sent through the channel layer only after the
transaction that caused them commits (a rolled-back write never reaches a browser).

Groups (the live layer's consumers join them):
- session_group(session_id, "teachers"): the teachers' monitor of a session
- session_group(session_id, "all"):      everyone in the session (state changes, pushes)
- participant_group(participant_id):     one participant's own tabs
Every event is one of observer.contract's definitions (`BroadcastEvent`): a dict with a
"type" like "participant.joined", "help.raised", ...; consumers receive it as
{"type": "session.event", "event": {...}}.
"""

from __future__ import annotations

import uuid
from typing import Literal

from channels.layers import get_channel_layer
from django.db import transaction

from observer import from_sync
from observer.contract import BroadcastEvent, SessionEventMessage


def session_group(session_id: uuid.UUID | str, audience: Literal["teachers", "all"]) -> str:
    return f"session.{uuid.UUID(str(session_id)).hex}.{audience}"


def participant_group(participant_id: uuid.UUID | str) -> str:
    return f"participant.{uuid.UUID(str(participant_id)).hex}"


def _send(group: str, event: BroadcastEvent) -> None:
    layer = get_channel_layer()
    if layer is not None:
        from_sync.send(layer.group_send, group, SessionEventMessage(type="session.event", event=event))


def broadcast_on_commit(*, groups: list[str], event: BroadcastEvent) -> None:
    """Queue `event` for each group, sent once the current transaction commits."""

    def send() -> None:
        for group in groups:
            _send(group, event)

    transaction.on_commit(send)
