"""One document's live state inside one process: its CRDT, the local editors, and
what still has to reach the database and the teachers.

The hot path (an editor's update) touches only memory and does no bookkeeping: apply
to the server's copy, push to the other local editors, queue for the other processes
(bridge, per tick) and append the raw update to the pending batch. Everything else is
worked out once per interval per document, not per keystroke: the text (for the
teachers' previews, every LIVE_PREVIEW_INTERVAL_SECONDS), the log entries' character
counts and the activity counters (when the registry flushes, every
LIVE_FLUSH_SECONDS, in one database write for all documents). Each process logs
the updates its own editors made; updates from other processes are applied and
relayed but logged by their origin. Snapshots are CRDT unions (see store.flush).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from channels.db import database_sync_to_async
from pycrdt import Doc, write_var_uint

from observer import contract
from sessions.authors import Author
from sessions.live import protocol, store, ydoc
from sessions.live.conf import live_setting
from sessions.live.topics import AWARENESS, HELLO, PROBE, REPLY, SERVER_EDIT, SYNC, UPDATE, document_topic

if TYPE_CHECKING:
    from sessions.live.registry import LiveRegistry

logger = logging.getLogger("observer.live")


class TooLarge(Exception):
    """An update would grow the document past its content cap (it was taken back)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over {limit} bytes")
        self.limit = limit


class Peer(Protocol):
    author: Author

    def push(self, data: bytes | str) -> None: ...


def _with_name(state: str, name: str) -> str:
    """`state` with its `user.name` set to `name` (the same object when it says so already)."""
    if state == "null" or not name:
        return state
    # The usual case, a cursor move of an editor already named right, without parsing
    # (a JSON parse per cursor move was most of relaying it): the one "name" in the
    # state is this one, so no other name can be shown.
    if state.count('"name"') == 1 and f'"name":{json.dumps(name, ensure_ascii=False)}' in state:
        return state
    data = json.loads(state)  # valid JSON: the protocol parser checked it
    if not isinstance(data, dict):
        return state
    user = data.get("user")
    if isinstance(user, dict) and user.get("name") == name:
        return state
    data["user"] = {**(user if isinstance(user, dict) else {}), "name": name}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class DocumentHub:
    def __init__(self, registry: LiveRegistry, document_id: uuid.UUID) -> None:
        self.registry = registry
        self.document_id = document_id
        self.topic = document_topic(document_id)
        self.doc: Doc = ydoc.new_doc()
        self.recorder: ydoc.Recorder | None = None
        self.meta: store.Loaded | None = None
        self._text = ""
        self._text_stale = False
        # An upper bound of the text's length in code points (an update carries the
        # text it inserts): the exact length is only needed near the content cap.
        self._length_bound = 0
        self.peers: set[Peer] = set()
        self.refs = 0
        self.ready = asyncio.Event()
        self.closed = False
        self.idle_handle: asyncio.TimerHandle | None = None
        self._early: list[bytes] = []
        self._replies = 0
        self._expected_replies = 0
        self._synced = asyncio.Event()
        # persistence: (integrated update, wall time, author, resynced) per editor's update
        self.pending: list[tuple[bytes, float, Author, bool]] = []
        self._unwritten: list[store.LogEntry] = []  # entries of a flush that failed
        self.dirty_since: float | None = None
        self.last_change = 0.0
        self.modified = False
        # awareness: client id -> (clock, JSON state); which local peer owns which ids
        self.awareness: dict[int, tuple[int, str]] = {}
        self.awareness_owner: dict[int, Peer] = {}
        # monitor
        self._preview_at = 0.0
        self._preview_timer: asyncio.TimerHandle | None = None
        self._typing_at = 0.0
        self._teacher_edit_at: dict[Any, float] = {}

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        # Subscribe before loading: nothing published after the load can be missed.
        await self.registry.listen(self.topic, self._on_bridge)
        loaded = await database_sync_to_async(store.load)(self.document_id)
        self.meta = loaded
        self.doc = ydoc.new_doc(loaded.state)
        self.recorder = ydoc.Recorder(self.doc)
        self._text_stale = True
        early, self._early = self._early, []
        for frame in early:
            self._on_bridge(frame)
        # Ask the other processes' hubs for what the database does not have yet.
        try:
            self._expected_replies = await self.registry.bridge.publish_now(self.topic, HELLO + self.doc.get_state())
        except Exception:  # Redis down: the database's copy now, the others' on resync
            logger.warning("live hub could not greet the other processes", exc_info=True)
            self.registry.bridge.resume({self.topic})
        if self._expected_replies:
            try:
                await asyncio.wait_for(self._synced.wait(), live_setting("LIVE_PEER_SYNC_SECONDS"))
            except TimeoutError:
                pass
        self.ready.set()

    @property
    def text(self) -> str:
        """The document's text, worked out when asked for (a preview, a read), at most
        once per change."""
        if self._text_stale:
            self._text = ydoc.text_of(self.doc)
            self._text_stale = False
            self._length_bound = len(self._text)
        return self._text

    @property
    def participant_id(self) -> uuid.UUID:
        assert self.meta is not None
        return self.meta.participant_id

    @property
    def session_id(self) -> uuid.UUID:
        assert self.meta is not None
        return self.meta.session_id

    # --- editors --------------------------------------------------------------------

    def attach(self, peer: Peer) -> None:
        self.peers.add(peer)
        if not peer.author.is_teacher and self._preview_timer is None:
            self._emit_preview(opened=True)  # the student opened this file: their tile shows it now, not after typing
        peer.push(protocol.sync_step1(self.doc.get_state()))
        if self.awareness:
            entries = [(client, clock, state) for client, (clock, state) in self.awareness.items()]
            peer.push(protocol.awareness_message(protocol.encode_awareness(entries)))

    def detach(self, peer: Peer) -> None:
        self.peers.discard(peer)
        gone = [client for client, owner in self.awareness_owner.items() if owner is peer]
        if gone:
            entries = []
            for client in gone:
                clock = self.awareness.pop(client, (0, "null"))[0] + 1
                self.awareness_owner.pop(client, None)
                entries.append((client, clock, "null"))
            update = protocol.encode_awareness(entries)
            self._fanout(protocol.awareness_message(update), exclude=None)
            self.registry.bridge.publish(self.topic, AWARENESS + update)

    def step2_for(self, state_vector: bytes) -> bytes:
        try:
            return protocol.sync_step2(self.doc.get_update(state_vector))
        except (ValueError, RuntimeError) as exc:
            raise ydoc.InvalidUpdate(str(exc)) from exc

    def would_change(self, update: bytes) -> bool:
        """Whether `update` holds anything new (for read-only editors, without applying)."""
        if update == ydoc.EMPTY_UPDATE:
            return False
        scratch = ydoc.new_doc(self.doc.get_update())
        with ydoc.capture(scratch) as changes:
            ydoc.apply_update(scratch, update)
        return bool(changes)

    def apply_local(self, peer: Peer, update: bytes, *, resynced: bool = False) -> None:
        """An editor's update: raises ydoc.InvalidUpdate for bytes that are not one, and
        TooLarge (after taking it back) for one that grows the file past its cap.
        `resynced`: it came as a sync step 2 (what the editor had that the server lacked)."""
        assert self.meta is not None
        # A code point is at most 4 bytes, and an update carries the text it inserts:
        # only a document near its cap (or a huge update) needs the exact check.
        guarded = 4 * self._length_bound + 5 * len(update) > self.meta.max_bytes
        if guarded:
            before = self.text
            state_before = self.doc.get_state()
        changes = self._apply(update)
        if not changes:
            return
        self._text_stale = True
        self._length_bound += len(update)
        if guarded:
            after = self.text
            if len(after) > len(before) and ydoc.size(after) > self.meta.max_bytes:
                self._take_back(peer, before, state_before)
                raise TooLarge(self.meta.max_bytes)
        for change in changes:
            self._fanout(protocol.sync_update(change.update), exclude=peer)
            self.registry.bridge.publish(self.topic, UPDATE + change.update)
        update_bytes = changes[0].update if len(changes) == 1 else ydoc.merge([c.update for c in changes])
        self.pending.append((update_bytes, time.time(), peer.author, resynced))
        now = time.monotonic()
        self.last_change = now
        self.dirty_since = self.dirty_since or now
        self.modified = True
        self._monitor(peer.author, now)

    def _take_back(self, peer: Peer, before: str, state_before: bytes) -> None:
        """Undo an update that made the file too large: a server edit back to `before`.
        The client keeps the update's items (it made them), so what goes to everyone,
        the log and the other processes is the update and its undoing together, which
        the CRDT's garbage collection shrinks to a few bytes (no text)."""
        ydoc.edit_to(self.doc, before)
        if self.recorder is not None:
            self.recorder.take()
        self._text_stale = True
        net = self.doc.get_update(state_before)
        self._fanout(protocol.sync_update(net), exclude=None)
        self.registry.bridge.publish(self.topic, UPDATE + net)
        self.pending.append((net, time.time(), peer.author, False))
        self.last_change = time.monotonic()
        self.dirty_since = self.dirty_since or self.last_change

    def relay_awareness(
        self, peer: Peer, update: bytes, *, entries: list[protocol.AwarenessEntry] | None = None,
        message: bytes | None = None,
    ) -> None:
        """An editor's awareness update (`entries` and `message`: the update parsed, and
        the whole frame it came in, when the caller has them already).

        The name on an editor's cursor is the one the server knows, not one it claims:
        a student cannot show a cursor labelled as the teacher."""
        kept: list[protocol.AwarenessEntry] = []
        changed = False
        for client, clock, state in entries if entries is not None else protocol.parse_awareness(update):
            named = _with_name(state, peer.author.name)
            changed = changed or named is not state
            kept.append((client, clock, named))
            self._remember_awareness(client, clock, named)
            if named == "null":
                self.awareness_owner.pop(client, None)
            else:
                self.awareness_owner[client] = peer
        if changed:
            update, message = protocol.encode_awareness(kept), None
        self._fanout(message or protocol.awareness_message(update), exclude=peer)
        self.registry.bridge.publish(self.topic, AWARENESS + update)

    def _remember_awareness(self, client: int, clock: int, state: str) -> None:
        if state == "null":
            self.awareness.pop(client, None)
        elif clock >= self.awareness.get(client, (-1, ""))[0]:
            self.awareness[client] = (clock, state)

    def _fanout(self, message: bytes, *, exclude: Peer | None) -> None:
        for peer in self.peers:
            if peer is not exclude:
                peer.push(message)

    # --- other processes ----------------------------------------------------------------

    def _on_bridge(self, frame: bytes) -> None:
        if self.meta is None:
            self._early.append(frame)
            return
        kind, body = frame[:1], frame[1:]
        if kind in (UPDATE, REPLY, SERVER_EDIT):
            # Another process's edits are snapshotted here too (snapshots are CRDT unions),
            # so they survive that process dying before it wrote them; server edits are
            # in the database already.
            self._apply_remote(body, persist=kind != SERVER_EDIT, modified=kind == UPDATE)
            if kind == REPLY:
                self._replies += 1
                if self._replies >= self._expected_replies:
                    self._synced.set()
        elif kind == AWARENESS:
            try:
                entries = protocol.parse_awareness(body)
            except protocol.ProtocolError:
                return
            for client, clock, state in entries:
                self._remember_awareness(client, clock, state)
            self._fanout(protocol.awareness_message(body), exclude=None)
        elif kind in (HELLO, SYNC):
            try:
                missing = self.doc.get_update(body)
            except (ValueError, RuntimeError):
                return
            self.registry.bridge.publish(self.topic, REPLY + missing)
            if kind == HELLO:
                self.registry.bridge.publish(self.topic, SYNC + self.doc.get_state())
        elif kind == PROBE:
            self._on_probe(body)

    # --- anti-entropy -------------------------------------------------------------------

    def probe(self) -> None:
        """Compare this copy with the other processes' copies. Deletions do not show in a
        state vector, so the probe carries this copy's delete set too (an update with no
        new items: a few bytes)."""
        state = self.doc.get_state()
        deletions = self.doc.get_update(state)
        self.registry.bridge.publish(self.topic, PROBE + write_var_uint(len(state)) + state + deletions)

    def _on_probe(self, body: bytes) -> None:
        try:
            reader = protocol.Reader(body)
            state = reader.var_bytes()
            deletions = body[reader.pos:]
            self._apply_remote(deletions, persist=True, modified=True)
            missing = self.doc.get_update(state)
            theirs_ahead = ydoc.is_ahead(state, self.doc.get_state())
        except (protocol.ProtocolError, ydoc.InvalidUpdate, ValueError, RuntimeError):
            return
        if missing != ydoc.EMPTY_UPDATE:
            self.registry.bridge.publish(self.topic, REPLY + missing)
        if theirs_ahead:  # they hold items we lack: ask them
            self.registry.bridge.publish(self.topic, SYNC + self.doc.get_state())

    def _apply(self, update: bytes) -> list[ydoc.Change]:
        if self.recorder is None:  # closing: still correct, only slower
            with ydoc.capture(self.doc) as changes:
                ydoc.apply_update(self.doc, update)
            return changes
        self.recorder.take()
        try:
            ydoc.apply_update(self.doc, update)
        finally:
            changes = self.recorder.take()
        return changes

    def _apply_remote(self, update: bytes, *, persist: bool, modified: bool = False) -> None:
        try:
            changes = self._apply(update)
        except ydoc.InvalidUpdate:
            return
        if changes:
            self._text_stale = True
            self._length_bound += len(update)
            for change in changes:
                self._fanout(protocol.sync_update(change.update), exclude=None)
            if persist:
                self.last_change = time.monotonic()
                self.dirty_since = self.dirty_since or self.last_change
                self.modified = self.modified or modified

    # --- persistence (called by the registry's flusher) --------------------------------

    def take_pending(
        self, now: float, *, force: bool, snapshot_allowed: bool = True
    ) -> tuple[list[store.LogEntry], store.SnapshotRequest | None]:
        entries = self._unwritten + self._log_entries(self.pending) if self.pending else self._unwritten
        self.pending, self._unwritten = [], []
        snapshot = None
        if self.dirty_since is not None and (force or snapshot_allowed) and (
            force
            or now - self.last_change >= live_setting("LIVE_SNAPSHOT_IDLE_SECONDS")
            or now - self.dirty_since >= live_setting("LIVE_SNAPSHOT_MAX_SECONDS")
        ):
            snapshot = store.SnapshotRequest(self.document_id, self.doc.get_update(), modified=self.modified)
            self.dirty_since = None
            self.modified = False
        return entries, snapshot

    def _log_entries(self, pending: list[tuple[bytes, float, Author, bool]]) -> list[store.LogEntry]:
        """The batch's log entries with their character counts, and the student's own
        typing for the activity counters (once per flush, not per keystroke)."""
        entries = []
        typed = 0
        first_at = last_at = 0.0
        for update, at, author, resynced in pending:
            counts = ydoc.update_counts(update)
            inserted, deleted = counts if counts is not None else (0, 0)
            entries.append(store.LogEntry(
                update=update, at=datetime.fromtimestamp(at, UTC), author_participant_id=author.participant_id,
                author_user_id=author.user_id, inserted=inserted, deleted=deleted, resynced=resynced,
            ))
            if author.participant_id is not None and author.participant_id == self.participant_id:
                typed += inserted
                first_at = first_at or at
                last_at = at
        if first_at:
            # Wall times, turned into the monotonic clock the tracker measures gaps with.
            shift = time.monotonic() - time.time()
            self.registry.activity.edits(
                self.participant_id, self.session_id, chars=typed, first=first_at + shift, last=last_at + shift
            )
        return entries

    def has_unsaved(self) -> bool:
        return bool(self.pending or self._unwritten) or self.dirty_since is not None

    def restore(self, entries: list[store.LogEntry], snapshot: store.SnapshotRequest | None) -> None:
        """A flush failed: keep everything for the next one."""
        self._unwritten = entries + self._unwritten
        if snapshot is not None:
            self.dirty_since = self.dirty_since or time.monotonic()
            self.modified = self.modified or snapshot.modified

    # --- the teachers' monitor ------------------------------------------------------------

    def _monitor(self, author: Author, now: float) -> None:
        if self._preview_timer is None:
            delay = self._preview_at + live_setting("LIVE_PREVIEW_INTERVAL_SECONDS") - now
            if delay <= 0:
                self._emit_preview()
            else:
                self._preview_timer = asyncio.get_running_loop().call_later(delay, self._emit_preview)
        if now - self._typing_at >= live_setting("LIVE_TYPING_INTERVAL_SECONDS"):
            self._typing_at = now
            self._feed(contract.Typing(
                type="typing", participant_id=str(self.participant_id), document_id=str(self.document_id),
                at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                by="teacher" if author.is_teacher else "participant",
            ))
        if author.is_teacher:
            last = self._teacher_edit_at.get(author.user_id)
            self._teacher_edit_at[author.user_id] = now
            if last is None or now - last >= live_setting("LIVE_TEACHER_EDIT_BURST_SECONDS"):
                self.registry.audit_teacher_edit(author, self)

    def _emit_preview(self, *, opened: bool = False) -> None:
        self._preview_timer = None
        if self.closed or self.meta is None:
            return
        self._preview_at = time.monotonic()
        limit = live_setting("LIVE_PREVIEW_MAX_CHARS")
        self._feed(contract.Preview(
            type="preview", participant_id=str(self.participant_id), document_id=str(self.document_id),
            name=self.meta.name, text=self.text[:limit], truncated=len(self.text) > limit, opened=opened,
        ))

    def _feed(self, event: contract.FeedEvent) -> None:
        self.registry.emit_feed(self.session_id, event)

    def stop_timers(self) -> None:
        self.closed = True
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None
        for handle in (self._preview_timer, self.idle_handle):
            if handle is not None:
                handle.cancel()
