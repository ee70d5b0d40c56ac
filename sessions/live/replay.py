"""A document's history for the teacher's scrubber: the text at the start, every
logged edit (who, when, where, what), the text at any moment, pastes marked.

The update log is replayed through pycrdt in sequence order. Each event carries its
edit as `{pos, delete, insert}` in code points (the common prefix/suffix of the text
before and after), so a client can step through the history from `base_text` without
the server shipping the whole text per keystroke; `text_after` comes on keyframes
(every KEYFRAME_EVERY events, on pastes and on the last event), or on every event
with `texts="all"`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sessions.live import store, ydoc
from sessions.live.conf import live_setting
from sessions.models import Document, DocumentUpdate

KEYFRAME_EVERY = 50


def _edit(before: str, after: str) -> dict[str, Any]:
    start, deleted, inserted = ydoc.text_delta(before, after)
    return {"pos": start, "delete": deleted, "insert": after[start : start + inserted]}


def _author(row: DocumentUpdate) -> dict[str, Any]:
    if row.author_participant_id is not None:
        name = row.author_participant.display_name if row.author_participant else ""
        return {"kind": "participant", "id": str(row.author_participant_id), "name": name}
    if row.author_user_id is not None:
        user = row.author_user
        name = (user.display_name or user.username) if user else ""
        return {"kind": "teacher", "id": str(row.author_user_id), "name": name}
    return {"kind": "server", "id": None, "name": ""}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def document_history(
    *,
    document: Document,
    at: datetime | None = None,
    after_seq: int = 0,
    limit: int = 5000,
    texts: str = "keyframes",
) -> dict[str, Any]:
    """The replay of `document`: events after `after_seq` (at most `limit`), and the
    text at the moment `at` when asked."""
    rows: Iterable[DocumentUpdate] = (
        DocumentUpdate.objects.filter(document=document)
        .select_related("author_participant", "author_user")
        .order_by("seq")
        .iterator(chunk_size=500)
    )
    paste_min = int(live_setting("LIVE_PASTE_MIN_CHARS"))
    doc = ydoc.new_doc()
    text = ""
    base_text: str | None = None
    events: list[dict[str, Any]] = []
    next_after: int | None = None
    text_at: dict[str, Any] | None = None
    leading = True  # author-less rows at the start are the seed: they make base_text
    last_seq = 0
    for row in rows:
        ydoc.apply_update(doc, bytes(row.update))
        before, text = text, ydoc.text_of(doc)
        last_seq = row.seq
        authored = row.author_participant_id is not None or row.author_user_id is not None
        if at is not None and row.created_at <= at:
            text_at = {"at": _iso(at), "seq": row.seq, "text": text}
        if leading and not authored and after_seq == 0:
            continue
        leading = False
        if row.seq <= after_seq:
            continue
        if base_text is None:
            base_text = before
        if len(events) >= limit:
            next_after = events[-1]["seq"]
            if at is None:
                break
            continue
        edit = _edit(before, text)
        event: dict[str, Any] = {
            "seq": row.seq, "at": _iso(row.created_at), "author": _author(row),
            "inserted": row.chars_inserted, "deleted": row.chars_deleted,
            "paste": row.chars_inserted >= paste_min and authored and not row.resynced,
            "resynced": row.resynced, "edit": edit,
        }
        if texts == "all" or event["paste"] or len(events) % KEYFRAME_EVERY == 0:
            event["text_after"] = text
        events.append(event)
    if events and "text_after" not in events[-1] and next_after is None:
        events[-1]["text_after"] = text
    if base_text is None:
        base_text = text
    if at is not None and text_at is None:
        text_at = {"at": _iso(at), "seq": 0, "text": ""}
    result: dict[str, Any] = {
        "document_id": str(document.pk), "name": document.name, "base_text": base_text, "events": events,
        "final_text": text if next_after is None else store.current_text(document.pk),
        "last_seq": last_seq, "next_after_seq": next_after,
    }
    if text_at is not None:
        result["text_at"] = text_at
    return result
