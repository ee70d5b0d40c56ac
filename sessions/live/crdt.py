"""The CRDT side of documents for the rest of the project (synchronous services).

    replace_text(document=doc, text="print('hi')\\n", author_user=teacher)

Use it for every write of a document's text outside the live editor (REST PATCH,
pushes, starter files): it records the change as a Yjs update in the log, keeps
`content`, `yjs_state` and `snapshot_seq` in step, and forwards the update to the
editors connected right now (after the transaction commits).

A document whose `yjs_state` is empty is seeded from its `content` the first time
the live layer or this module touches it, deterministically (see ydoc.SEED_CLIENT_ID).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from sessions.live import store, ydoc
from sessions.models import Document, Participant

if TYPE_CHECKING:
    from accounts.models import User

__all__ = ["current_text", "replace_text", "seed_update", "text_of_state"]

seed_update = ydoc.seed_update


def text_of_state(state: bytes) -> str:
    """The plain text of a stored Yjs state."""
    return ydoc.text_of(ydoc.new_doc(state))


def replace_text(
    *,
    document: Document,
    text: str,
    author_user: User | None = None,
    author_participant: Participant | None = None,
) -> None:
    """Make `document`'s text equal to `text` with one minimal edit, log it with its
    author, save, and update `document` in place."""
    user_id = author_user.pk if author_user is not None else None
    with transaction.atomic():
        update, row = store.server_edit(
            document_id=document.pk,
            text=text,
            author_user_id=user_id,
            author_participant_id=author_participant.pk if author_participant is not None else None,
        )
        if update is not None:
            document_id = document.pk
            transaction.on_commit(lambda: _forward(document_id, update))
    document.content = row.content
    document.yjs_state = row.yjs_state
    document.snapshot_seq = row.snapshot_seq


def current_text(*, document: Document) -> str:
    """The freshest text the database holds (the snapshot plus the log after it)."""
    return store.current_text(document.pk)


def _forward(document_id: Any, update: bytes) -> None:
    from sessions.live.bridge import publish_document_update

    publish_document_update(document_id, update)
