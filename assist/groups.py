"""Channel-layer groups of AI help (between server processes, never sent to a browser):
- participant_group: every assist socket of one participant (their own and their teacher's);
- session_group: every assist socket of a session (told to recompute the allowance).
Messages: {"type": "assist.frame", "frame": <student's>, "teacher_frame": <teacher's>} and
{"type": "assist.refresh"}."""

from __future__ import annotations

import uuid
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from observer import from_sync


def participant_group(participant_id: uuid.UUID | str) -> str:
    return f"assist.p.{uuid.UUID(str(participant_id)).hex}"


def session_group(session_id: uuid.UUID | str) -> str:
    return f"assist.s.{uuid.UUID(str(session_id)).hex}"


async def send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group, message)


def send_on_commit(group: str, message: dict[str, Any]) -> None:
    def deliver() -> None:
        layer = get_channel_layer()
        if layer is not None:
            from_sync.send(layer.group_send, group, message)

    transaction.on_commit(deliver)
