"""Presence (open connections per participant) and activity accounting (characters
typed, active seconds, last activity), kept in memory on the hot path and written
in batches. Connections of a server process that died stop counting (see ledger)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from observer import contract
from sessions.events import broadcast_on_commit, session_group
from sessions.live import ledger
from sessions.live.conf import live_setting
from sessions.models import ClassSession, Participant


@dataclass
class Activity:
    session_id: uuid.UUID
    chars: int = 0
    seconds: float = 0.0
    last_at: datetime | None = None
    last_mono: float | None = None
    dirty: bool = False


@dataclass(frozen=True)
class ActivityDelta:
    participant_id: uuid.UUID
    session_id: uuid.UUID
    chars: int
    seconds: int
    last_at: datetime


@dataclass
class ActivityTracker:
    items: dict[uuid.UUID, Activity] = field(default_factory=dict)

    def edit(self, participant_id: uuid.UUID, session_id: uuid.UUID, *, chars: int, now: float) -> None:
        item = self.items.get(participant_id)
        if item is None:
            item = self.items[participant_id] = Activity(session_id=session_id)
        if item.last_mono is not None:
            gap = now - item.last_mono
            if 0 < gap <= live_setting("LIVE_ACTIVE_GAP_SECONDS"):
                item.seconds += gap
        item.last_mono = now
        item.chars += chars
        item.last_at = datetime.now(UTC)
        item.dirty = True

    def edits(self, participant_id: uuid.UUID, session_id: uuid.UUID, *, chars: int, first: float, last: float) -> None:
        """A batch of edits made between `first` and `last` (monotonic): the same as
        `edit` for each of them, since the gaps inside one flush interval all count."""
        self.edit(participant_id, session_id, chars=0, now=first)
        self.edit(participant_id, session_id, chars=chars, now=last)

    def take(self) -> list[ActivityDelta]:
        deltas = []
        for participant_id, item in self.items.items():
            if not item.dirty or item.last_at is None:
                continue
            whole = int(item.seconds)
            deltas.append(ActivityDelta(participant_id, item.session_id, item.chars, whole, item.last_at))
            item.seconds -= whole
            item.chars = 0
            item.dirty = False
        return deltas

    def restore(self, deltas: list[ActivityDelta]) -> None:
        for delta in deltas:
            item = self.items.setdefault(delta.participant_id, Activity(session_id=delta.session_id))
            item.chars += delta.chars
            item.seconds += delta.seconds
            item.last_at = max(item.last_at or delta.last_at, delta.last_at)
            item.dirty = True


def record_activity(deltas: list[ActivityDelta]) -> None:
    """Add the counters of many participants in two statements (this runs every few
    seconds for a whole class)."""
    if not deltas:
        return
    quote = connection.ops.quote_name
    table = quote(Participant._meta.db_table)
    native = connection.features.has_native_uuid_field
    adapt = connection.ops.adapt_datetimefield_value

    def pk(value: uuid.UUID) -> Any:
        return value if native else value.hex

    chars, active, last_activity, last_seen = (
        quote(str(Participant._meta.get_field(name).column))  # type: ignore[union-attr]
        for name in ("chars_typed", "active_seconds", "last_activity_at", "last_seen_at")
    )
    latest: dict[uuid.UUID, datetime] = {}
    for delta in deltas:
        latest[delta.session_id] = max(latest.get(delta.session_id, delta.last_at), delta.last_at)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {chars} = {chars} + %s, {active} = {active} + %s, "
            f"{last_activity} = %s, {last_seen} = %s WHERE id = %s",
            [(d.chars, d.seconds, adapt(d.last_at), adapt(d.last_at), pk(d.participant_id)) for d in deltas],
        )
        for session_id, at in latest.items():
            ClassSession.objects.filter(pk=session_id).update(last_activity_at=at)


def _presence(participant: Participant, online: bool) -> None:
    teachers = [session_group(participant.session_id, "teachers")]
    broadcast_on_commit(
        groups=teachers, event=contract.Presence(type="presence", participant_id=str(participant.pk), online=online)
    )
    if not online:
        broadcast_on_commit(
            groups=teachers,
            event=contract.ParticipantLeft(type="participant.left", participant=_status(participant)),
        )


def _status(participant: Participant) -> contract.ParticipantStatus:
    from sessions.services.common import participant_payload

    return participant_payload(participant)


def connection_opened(*, participant_id: uuid.UUID) -> None:
    """Count a participant's own live connection; the first one makes them online."""
    ledger.before_first_count(_reset_left_behind)
    with transaction.atomic():
        Participant.objects.filter(pk=participant_id).update(
            connections=F("connections") + 1, last_seen_at=timezone.now()
        )
        participant = Participant.objects.filter(pk=participant_id).only("id", "session_id", "connections").first()
        if participant is not None and participant.connections == 1:
            _presence(participant, True)
    ledger.change(participant_id, +1)


def connection_closed(*, participant_id: uuid.UUID) -> None:
    """Uncount it; the last one closing makes them offline."""
    if ledger.change(participant_id, -1):
        _take_off({participant_id: 1})


def _take_off(counts: dict[uuid.UUID, int]) -> None:
    """Uncount connections; whoever that leaves with none goes offline."""
    now = timezone.now()
    with transaction.atomic():
        for participant_id, n in counts.items():
            changed = Participant.objects.filter(pk=participant_id, connections__gt=0).update(
                connections=Greatest(F("connections") - n, 0), last_seen_at=now
            )
            participant = Participant.objects.filter(pk=participant_id).only("id", "session_id", "connections").first()
            if changed and participant is not None and participant.connections == 0:
                _presence(participant, False)


def _put_back(counts: dict[uuid.UUID, int]) -> None:
    with transaction.atomic():
        for participant_id, n in counts.items():
            Participant.objects.filter(pk=participant_id).update(connections=F("connections") + n)


def _reset_left_behind() -> None:
    # Without Redis this is the only server process: nobody is connected before it counts.
    Participant.objects.filter(connections__gt=0).update(connections=0)


def heartbeat() -> None:
    """Every LIVE_PRESENCE_HEARTBEAT_SECONDS: keep this process's connections counted,
    and take off those of processes that died."""
    ledger.heartbeat(put_back=_put_back)
    for counts in ledger.claim_dead():
        _take_off(counts)


def process_stopped() -> None:
    """The server is shutting down: its connections no longer count."""
    counts = ledger.stopped()
    if counts:
        _take_off(counts)
