"""Persistence of live documents (synchronous ORM; call through database_sync_to_async).

A document is stored as a compacted Yjs state (`yjs_state`, covering the update log
up to `snapshot_seq`) plus the append-only `DocumentUpdate` log. Several processes
may write the same document: every write locks the document row, sequence numbers
are allocated under that lock, and a snapshot is the CRDT union of what the database
holds and what the writer holds, so no writer can erase another's updates.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from pycrdt import Doc

from sessions import filenames
from sessions.live import ydoc
from sessions.models import Document, DocumentUpdate, Participant


@dataclass(frozen=True)
class LogEntry:
    """One integrated update waiting to be appended to the log."""

    update: bytes
    at: datetime
    author_participant_id: uuid.UUID | None = None
    author_user_id: uuid.UUID | None = None
    inserted: int = 0
    deleted: int = 0
    resynced: bool = False


@dataclass(frozen=True)
class SnapshotRequest:
    document_id: uuid.UUID
    state: bytes
    modified: bool = False


def _last_seqs(document_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = (
        DocumentUpdate.objects.filter(document_id__in=list(document_ids))
        .values("document_id")
        .annotate(last=Max("seq"))
    )
    return {row["document_id"]: row["last"] or 0 for row in rows}


def _seed_locked(document: Document) -> None:
    """Give a document its first CRDT state (from its plain text) and log row."""
    update = ydoc.seed_update(document.content)
    seq = _last_seqs([document.pk]).get(document.pk, 0) + 1
    DocumentUpdate.objects.create(
        document=document, seq=seq, update=update, created_at=document.created_at or timezone.now(),
        chars_inserted=len(document.content),
    )
    document.yjs_state = update
    document.snapshot_seq = seq
    Document.objects.filter(pk=document.pk).update(yjs_state=update, snapshot_seq=seq)


def _doc_from_rows(document: Document) -> tuple[Doc, int]:
    """The document's CRDT: snapshot plus the log rows written after it."""
    rows = list(
        DocumentUpdate.objects.filter(document_id=document.pk, seq__gt=document.snapshot_seq)
        .order_by("seq")
        .values_list("seq", "update")
    )
    doc = ydoc.new_doc(bytes(document.yjs_state), *(bytes(update) for _, update in rows))
    return doc, rows[-1][0] if rows else document.snapshot_seq


def locked_doc(document_id: uuid.UUID) -> tuple[Document, Doc, int]:
    """Inside a transaction: lock the row, seed it if needed, return (row, CRDT, last seq)."""
    document = Document.objects.select_for_update().get(pk=document_id)
    if not bytes(document.yjs_state):
        _seed_locked(document)
    doc, last = _doc_from_rows(document)
    return document, doc, last


@dataclass(frozen=True)
class Loaded:
    document_id: uuid.UUID
    participant_id: uuid.UUID
    session_id: uuid.UUID
    name: str
    state: bytes
    last_seq: int
    max_bytes: int = 1024 * 1024  # the file's content cap (the sandbox's source limit)


def load(document_id: uuid.UUID) -> Loaded:
    """What a hub starts from. Plain text changed behind the CRDT's back (a direct
    write to `content`) is folded in as a server edit, so the two never disagree."""
    with transaction.atomic():
        document, doc, last = locked_doc(document_id)
        participant = Participant.objects.select_related("session").only("id", "session", "session__language").get(
            pk=document.participant_id
        )
        if last == document.snapshot_seq and ydoc.text_of(doc) != document.content:
            last = _server_edit_locked(document, doc, document.content, last)
        return Loaded(
            document_id=document.pk,
            participant_id=participant.pk,
            session_id=participant.session_id,
            name=document.name,
            state=doc.get_update(),
            last_seq=last,
            max_bytes=filenames.max_content_bytes(participant.session.language),
        )


def _server_edit_locked(
    document: Document, doc: Doc, text: str, last: int, *, author_user_id: uuid.UUID | None = None,
    author_participant_id: uuid.UUID | None = None,
) -> int:
    """Edit `doc` to `text`, log the update, store the snapshot; returns the new seq."""
    server = ydoc.new_doc(doc.get_update())
    before = ydoc.text_of(server)
    with ydoc.capture(server) as changes:
        ydoc.edit_to(server, text)
    if not changes:
        return last
    change = changes[0]
    inserted, deleted = ydoc.diff_counts(before, text, change.inserted)
    seq = last + 1
    now = timezone.now()
    DocumentUpdate.objects.create(
        document=document, seq=seq, update=change.update, created_at=now,
        author_user_id=author_user_id, author_participant_id=author_participant_id,
        chars_inserted=inserted, chars_deleted=deleted,
    )
    ydoc.apply_update(doc, change.update)
    document.yjs_state = doc.get_update()
    document.snapshot_seq = seq
    document.content = ydoc.text_of(doc)
    Document.objects.filter(pk=document.pk).update(
        yjs_state=document.yjs_state, snapshot_seq=seq, content=document.content, updated_at=now
    )
    return seq


def server_edit(
    *, document_id: uuid.UUID, text: str, author_user_id: uuid.UUID | None = None,
    author_participant_id: uuid.UUID | None = None,
) -> tuple[bytes | None, Document]:
    """Replace a document's text as one logged edit; returns (the update or None, row)."""
    with transaction.atomic():
        document, doc, last = locked_doc(document_id)
        before = doc.get_state()
        seq = _server_edit_locked(
            document, doc, text, last, author_user_id=author_user_id, author_participant_id=author_participant_id
        )
        if seq == last:
            if document.content != text or document.snapshot_seq != last:
                _write_snapshot_locked(document, doc, last)
            return None, document
        return doc.get_update(before), document


def current_text(document_id: uuid.UUID) -> str:
    """The freshest text the database knows (snapshot plus unsnapshotted log)."""
    document = Document.objects.get(pk=document_id)
    if not bytes(document.yjs_state):
        return document.content
    doc, _ = _doc_from_rows(document)
    return ydoc.text_of(doc)


def _write_snapshot_locked(document: Document, doc: Doc, last: int, *, modified: bool = False) -> None:
    document.yjs_state = doc.get_update()
    document.snapshot_seq = last
    document.content = ydoc.text_of(doc)
    fields = {"yjs_state": document.yjs_state, "snapshot_seq": last, "content": document.content,
              "updated_at": timezone.now()}
    if modified:
        fields["modified"] = True
    Document.objects.filter(pk=document.pk).update(**fields)


_LOG_FIELDS = (
    "document", "seq", "update", "author_participant", "author_user", "chars_inserted", "chars_deleted", "resynced",
    "created_at",
)


def _insert_log(rows: list[tuple[Any, ...]]) -> None:
    """Append log rows in one command (COPY on PostgreSQL, executemany elsewhere): a class
    types a thousand keystrokes a second, and building a model instance per keystroke is
    most of bulk_create's cost."""
    if not rows:
        return
    meta = DocumentUpdate._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in _LOG_FIELDS]  # type: ignore[union-attr]
    target = f"{quote(meta.db_table)} ({', '.join(quote(str(c)) for c in columns)})"
    native = connection.features.has_native_uuid_field

    def uuid_value(value: uuid.UUID | None) -> Any:
        return value if native or value is None else value.hex

    adapt_time = connection.ops.adapt_datetimefield_value
    values = [
        (uuid_value(doc), seq, update, uuid_value(participant), uuid_value(user), ins, dels, resynced, adapt_time(at))
        for doc, seq, update, participant, user, ins, dels, resynced, at in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the rows stream in one command, adapted by psycopg's C code. An
            # executemany of a second's keystrokes held the GIL for tens of milliseconds,
            # which the event loop's sockets waited through (bench_live.py, issue 17).
            with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            cursor.executemany(f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(columns))})", values)


def flush(
    *, entries: dict[uuid.UUID, Sequence[LogEntry]], snapshots: Sequence[SnapshotRequest] = ()
) -> dict[uuid.UUID, str]:
    """Append log entries and write snapshots for many documents in one transaction.
    Returns the stored text of each snapshotted document."""
    ids = sorted({*entries, *(s.document_id for s in snapshots)})
    if not ids:
        return {}
    texts: dict[uuid.UUID, str] = {}
    snapshot_ids = {s.document_id for s in snapshots}
    with transaction.atomic():
        # Locked in id order, so two processes flushing overlapping sets never deadlock;
        # only the rows to snapshot are read whole (yjs_state can be large).
        locked = Document.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        present = set(locked.values_list("pk", flat=True))
        last = _last_seqs(present)
        rows: list[tuple[Any, ...]] = []
        for document_id, items in entries.items():
            if document_id not in present:
                continue  # deleted meanwhile
            seq = last.get(document_id, 0)
            for item in items:
                seq += 1
                rows.append((document_id, seq, item.update, item.author_participant_id, item.author_user_id,
                             item.inserted, item.deleted, item.resynced, item.at))
            last[document_id] = seq
        _insert_log(rows)
        documents = {d.pk: d for d in Document.objects.filter(pk__in=snapshot_ids & present)} if snapshots else {}
        for request in snapshots:
            document = documents.get(request.document_id)
            if document is None:
                continue
            doc, seq = _doc_from_rows(document)
            ydoc.apply_update(doc, request.state)
            _write_snapshot_locked(document, doc, seq, modified=request.modified)
            texts[document.pk] = document.content
    return texts
