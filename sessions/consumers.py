"""Live sockets of a session: Yjs document sync and the session's event stream.

See docs/API.md "WebSockets" for the frames. Document updates never ride on the
channel layer (they go through the process's hub and the Redis bridge); the channel
layer carries only control events (session state, help, runs, presence).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from channels.db import database_sync_to_async

from accounts.principals import Principal
from observer import contract
from observer.wsbase import CLOSE_FORBIDDEN, FrameError, ObserverConsumer
from sessions import events
from sessions.authors import Author
from sessions.live import access, presence, protocol, ydoc
from sessions.live.conf import live_setting
from sessions.live.hub import DocumentHub, TooLarge
from sessions.live.registry import LiveRegistry, registry_for
from sessions.live.topics import feed_topic


class SessionMemberConsumer(ObserverConsumer):
    """Joins channel-layer groups, counts the participant's presence, and closes when
    the participant is removed from the session."""

    grant: access.Grant
    groups_joined: list[str]

    def _principal(self) -> Principal:
        return self.scope["user"]  # accounts.middleware lets no one else in

    @property
    def is_student(self) -> bool:
        """The participant themself is on the other end (not their teacher or an admin)."""
        return self.grant.is_student and self.grant.participant is not None

    async def join_groups(self, *groups: str) -> None:
        self.groups_joined = list(groups)
        if self.channel_layer is not None:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
        if self.is_student:
            assert self.grant.participant is not None
            # The registry's loop keeps this process's count of the participant alive.
            await registry_for(self.scope).ensure_started()
            await database_sync_to_async(presence.connection_opened)(participant_id=self.grant.participant.pk)

    async def leave_groups(self) -> None:
        if self.channel_layer is not None:
            for group in getattr(self, "groups_joined", []):
                await self.channel_layer.group_discard(group, self.channel_name)
        if self.is_student:
            assert self.grant.participant is not None
            await database_sync_to_async(presence.connection_closed)(participant_id=self.grant.participant.pk)

    def removes_me(self, event: dict[str, Any]) -> bool:
        if event.get("type") != "participant.removed" or self.grant.participant is None:
            return False
        removed = (event.get("participant") or {}).get("id")
        return self.is_student and str(removed) == str(self.grant.participant.pk)


class DocumentConsumer(SessionMemberConsumer):
    """`/ws/documents/{document_id}/`: binary y-protocols frames."""

    kind = "document"
    hub: DocumentHub
    registry: LiveRegistry

    @property
    def max_frame_bytes(self) -> int:  # type: ignore[override]
        return int(live_setting("LIVE_DOCUMENT_MAX_FRAME_BYTES"))

    async def authorize(self) -> int | None:
        principal = self._principal()
        document_id = self.scope["url_route"]["kwargs"]["document_id"]
        grant = await database_sync_to_async(access.document_grant)(principal, document_id)
        if isinstance(grant, int):
            return grant
        self.grant = grant
        self.readonly = grant.readonly
        self.author = Author(
            participant=grant.participant if grant.is_student else None,
            is_teacher=grant.is_teacher,
            principal=principal,
            name=grant.participant.display_name if grant.is_student and grant.participant else principal.name,
        )
        self.registry = registry_for(self.scope)
        assert grant.document is not None
        # Loaded (and in step with the other processes) before the first frame arrives.
        self.hub = await self.registry.open_document(grant.document.pk)
        return None

    def push_json(self, message: Mapping[str, object]) -> None:
        """Observer's own JSON frames (readonly, errors) go only to clients that asked
        for them with the `observer` subprotocol (the browser app). A stock Yjs client
        (y-websocket, its token in the query string) reads every frame as y-protocols
        and stops at the first text frame; it gets the standard protocol only, and
        learns why the server closed from the close code."""
        if self.scope.get("accept_subprotocol"):
            super().push_json(message)

    async def on_accepted(self) -> None:
        assert self.grant.participant is not None
        await self.join_groups(
            events.session_group(self.grant.session.pk, "all"), events.participant_group(self.grant.participant.pk)
        )
        self.push_json(contract.DocumentReadonly(type="readonly", readonly=self.readonly))
        self.hub.attach(self)

    async def on_disconnect(self, code: int) -> None:
        if self._recovery is not None:
            self._recovery.cancel()
        self.hub.detach(self)
        self.registry.release_document(self.hub)
        await self.leave_groups()

    def on_killed(self) -> None:
        if self._recovery is not None:
            self._recovery.cancel()
        self.hub.detach(self)
        self.registry.release_document(self.hub)

    # --- flood control: cursors give way, edits are never lost ------------------------

    _recovery: asyncio.TimerHandle | None = None
    _resync = False
    _unanswered_step1: bytes | None = None

    def frame_reserve(self, bytes_data: bytes | None) -> float:
        # An awareness frame (a cursor move) is superseded by the next one, so under
        # pressure those are dropped first and the last quarter of the bucket is
        # left to document updates.
        if bytes_data and bytes_data[0] == protocol.MESSAGE_AWARENESS:
            return self._bucket.burst / 4
        return 0.0

    def on_dropped(self, text_data: str | None, bytes_data: bytes | None) -> None:
        """A dropped update would leave every later update of this client pending in the
        server's copy (each depends on the ones before): once the flood is over, the
        server sends its state vector and the client (y-protocols answers a step 1 with a
        step 2) sends everything the server lacks. A dropped step 1 is answered then."""
        if not bytes_data or bytes_data[0] != protocol.MESSAGE_SYNC:
            return
        if len(bytes_data) > 1 and bytes_data[1] == protocol.SYNC_STEP1:
            self._unanswered_step1 = bytes_data
        else:
            self._resync = True
        if self._recovery is None:
            self._recovery = asyncio.get_running_loop().call_later(self._recovery_delay(), self._recover)

    def _recovery_delay(self) -> float:
        return max(float(live_setting("LIVE_RESYNC_QUIET_SECONDS")), self._bucket.seconds_until(1))

    def _recover(self) -> None:
        self._recovery = None
        if not self.accepted or self._closing:
            return
        quiet = float(live_setting("LIVE_RESYNC_QUIET_SECONDS"))
        if time.monotonic() - self._dropped_at < quiet or self._bucket.seconds_until(1) > 0:
            self._recovery = asyncio.get_running_loop().call_later(self._recovery_delay(), self._recover)
            return
        step1, self._unanswered_step1 = self._unanswered_step1, None
        if step1 is not None:
            with contextlib.suppress(protocol.ProtocolError, ydoc.InvalidUpdate):
                self.push(self.hub.step2_for(protocol.parse(step1).payload))
        if self._resync:
            self._resync = False
            self.push(protocol.sync_step1(self.hub.doc.get_state()))

    async def on_binary(self, data: bytes) -> None:
        try:
            message = protocol.parse(data)
        except protocol.ProtocolError as exc:
            raise FrameError("invalid", f"Not a y-protocols message: {exc}.") from None
        try:
            if message.kind == protocol.MESSAGE_AWARENESS:
                self.hub.relay_awareness(self, message.payload, entries=message.awareness, message=data)
            elif message.sync_type == protocol.SYNC_STEP1:
                self.push(self.hub.step2_for(message.payload))
            elif self.readonly:
                if self.hub.would_change(message.payload):
                    raise FrameError("readonly", "This document is read-only for you; the change was not kept.")
            else:
                self.hub.apply_local(self, message.payload, resynced=message.sync_type == protocol.SYNC_STEP2)
        except ydoc.InvalidUpdate:
            raise FrameError("invalid_update", "Not a valid Yjs update.") from None
        except TooLarge as exc:
            raise FrameError(
                "too_large", f"The file would be larger than the {exc.limit // 1024} KB limit; the change was undone."
            ) from None

    async def session_event(self, message: dict[str, Any]) -> None:
        event = message.get("event") or {}
        if self.removes_me(event):
            await self.close(code=CLOSE_FORBIDDEN, reason="removed from the session")
        elif event.get("type") == "session.updated" and isinstance(event.get("session"), dict):
            session = self.grant.session
            session.state = event["session"].get("state", session.state)
            session.teacher_can_edit = event["session"].get("teacher_can_edit", session.teacher_can_edit)
            readonly = access.readonly_for(self.grant.who, session)
            if readonly != self.readonly:
                self.readonly = readonly
                self.push_json(contract.DocumentReadonly(type="readonly", readonly=readonly))


class SessionConsumer(SessionMemberConsumer):
    """`/ws/sessions/{session_id}/`: JSON events; teachers also get the monitor."""

    kind = "session"
    registry: LiveRegistry

    @property
    def max_frame_bytes(self) -> int:  # type: ignore[override]
        return int(live_setting("LIVE_SESSION_MAX_FRAME_BYTES"))

    async def authorize(self) -> int | None:
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        grant = await database_sync_to_async(access.session_grant)(self._principal(), session_id)
        if isinstance(grant, int):
            return grant
        self.grant = grant
        self.registry = registry_for(self.scope)
        return None

    @property
    def is_monitor(self) -> bool:
        return self.grant.is_teacher or self.grant.is_admin

    async def on_accepted(self) -> None:
        self._feed: list[str] = []
        self._feed_timer: asyncio.TimerHandle | None = None
        session_id = self.grant.session.pk
        groups = [events.session_group(session_id, "all")]
        if self.is_monitor:
            groups.append(events.session_group(session_id, "teachers"))
            await self.registry.listen(feed_topic(session_id), self._on_feed)
        elif self.grant.participant is not None:
            groups.append(events.participant_group(self.grant.participant.pk))
        # Subscribed before the snapshot is read, so nothing falls between the two.
        await self.join_groups(*groups)
        if self.is_monitor:
            self.push_json(await database_sync_to_async(_snapshot)(self.grant.session))

    async def on_disconnect(self, code: int) -> None:
        if self.is_monitor:
            await self.registry.unlisten(feed_topic(self.grant.session.pk), self._on_feed)
            if self._feed_timer is not None:
                self._feed_timer.cancel()
        await self.leave_groups()

    async def on_text(self, message: dict[str, Any]) -> None:
        if message["type"] == "ping":
            self.push_json(contract.Pong(type="pong"))
            return
        raise FrameError("invalid", f"Unknown message type {str(message['type'])[:40]!r}.")

    def _on_feed(self, frame: bytes) -> None:
        # The teacher's socket carries a few previews a second from every student: they
        # leave together every LIVE_MONITOR_BATCH_SECONDS (one write, not one per event).
        self._feed.append(frame.decode())
        if self._feed_timer is None:
            delay = float(live_setting("LIVE_MONITOR_BATCH_SECONDS"))
            self._feed_timer = asyncio.get_running_loop().call_later(delay, self._flush_feed)

    def _flush_feed(self) -> None:
        self._feed_timer = None
        feed, self._feed = self._feed, []
        for event in feed:
            self.push(event)

    async def session_event(self, message: dict[str, Any]) -> None:
        event = message.get("event") or {}
        self.push_json(event)
        if self.removes_me(event):
            await self.flush_outbox()
            await self.close(code=CLOSE_FORBIDDEN, reason="removed from the session")


def _snapshot(session: Any) -> contract.Snapshot:
    from sessions import selectors
    from sessions.serializers import HelpRequestOutputSerializer, ParticipantStatusSerializer

    participants = ParticipantStatusSerializer(selectors.participants_of(session=session), many=True).data
    help_queue = HelpRequestOutputSerializer(selectors.help_queue(session=session), many=True).data
    return contract.Snapshot(
        type="snapshot",
        participants=[contract.ParticipantStatus(item) for item in participants],
        help=[contract.HelpRequest(item) for item in help_queue],
    )
