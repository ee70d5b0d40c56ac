"""Pure pycrdt helpers: one Yjs document per file, its text at `ydoc.getText("content")`.

pycrdt (yrs) indexes text by UTF-8 byte offsets, while Python strings index by code
point and Yjs in the browser by UTF-16 unit. Updates carry item ids, not offsets, so
the three interoperate; only edits made here must convert to byte offsets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from pycrdt import Doc, Text, TransactionEvent, merge_updates

TEXT_NAME = "content"
# The server seeds a document's state from its plain text with this fixed client id,
# so that two processes seeding the same text produce the very same update (Yjs then
# merges the two copies into one instead of doubling the text).
SEED_CLIENT_ID = 0x0B5E_4E42
EMPTY_UPDATE = b"\x00\x00"


class InvalidUpdate(ValueError):
    """A client sent bytes that are not a Yjs update."""


def new_doc(*updates: bytes, client_id: int | None = None) -> Doc:
    doc: Doc = Doc() if client_id is None else Doc(client_id=client_id)
    doc.get(TEXT_NAME, type=Text)
    for update in updates:
        if update and update != EMPTY_UPDATE:
            apply_update(doc, update)
    return doc


def merge(updates: list[bytes]) -> bytes:
    return bytes(merge_updates(*updates))


def text_type(doc: Doc) -> Text:
    return doc.get(TEXT_NAME, type=Text)


def text_of(doc: Doc) -> str:
    return str(text_type(doc))


def state_vector(state: bytes) -> dict[int, int]:
    """A Yjs state vector (`varUint count`, then `client, clock` pairs) as a dict."""
    from sessions.live.protocol import Reader

    reader = Reader(state)
    return {reader.var_uint(): reader.var_uint() for _ in range(reader.var_uint())}


def is_ahead(theirs: bytes, ours: bytes) -> bool:
    """Whether the state vector `theirs` holds items that `ours` does not."""
    mine = state_vector(ours)
    return any(clock > mine.get(client, 0) for client, clock in state_vector(theirs).items())


def size(text: str) -> int:
    """A text's size as the content caps count it (UTF-8 bytes)."""
    return len(text.encode("utf-8"))


def apply_update(doc: Doc, update: bytes) -> None:
    """Apply ``update``; malformed bytes raise InvalidUpdate (yrs may panic, which
    pyo3 raises as a BaseException subclass, so that is caught too)."""
    try:
        doc.apply_update(update)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # pyo3 raises a Rust panic as a BaseException
        raise InvalidUpdate(str(exc) or type(exc).__name__) from exc


def seed_update(content: str) -> bytes:
    """The deterministic first update of a document whose plain text is ``content``."""
    doc = new_doc(client_id=SEED_CLIENT_ID)
    if content:
        text_type(doc).insert(0, content)
    return doc.get_update()


@dataclass
class Change:
    """What one applied update changed, with the update that integrated it."""

    update: bytes
    inserted: int = 0
    deleted: int = 0
    inserts: list[int] = field(default_factory=list)  # length of each inserted run


@contextlib.contextmanager
def capture(doc: Doc) -> Iterator[list[Change]]:
    """Collect the integrated updates (and inserted character runs) of the
    transactions made inside the block; duplicate or pending updates yield none."""
    changes: list[Change] = []
    inserts: list[int] = []

    def on_text(event: object) -> None:
        for op in getattr(event, "delta", None) or []:
            value = op.get("insert") if isinstance(op, dict) else None
            if isinstance(value, str):
                inserts.append(len(value))

    def on_doc(event: TransactionEvent) -> None:
        update = event.update
        if update and update != EMPTY_UPDATE:
            changes.append(Change(update=update, inserted=sum(inserts), inserts=list(inserts)))
        inserts.clear()

    text = text_type(doc)
    text_sub = text.observe(on_text)
    doc_sub = doc.observe(on_doc)
    try:
        yield changes
    finally:
        doc.unobserve(doc_sub)
        text.unobserve(text_sub)


class Recorder:
    """A transaction observer kept on a document for its lifetime (cheaper than
    `capture` around every update): `take()` returns the updates integrated since the
    last call. Character counts come from `text_delta`, not from pycrdt text events,
    whose construction costs more than the rest of applying a keystroke."""

    def __init__(self, doc: Doc) -> None:
        self.changes: list[Change] = []
        self.doc = doc
        self._doc_sub = doc.observe(self._on_doc)

    def _on_doc(self, event: TransactionEvent) -> None:
        update = event.update
        if update and update != EMPTY_UPDATE:
            self.changes.append(Change(update=update))

    def take(self) -> list[Change]:
        changes, self.changes = self.changes, []
        return changes

    def close(self) -> None:
        self.doc.unobserve(self._doc_sub)


def _common_prefix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # binary search with C-speed slice comparisons
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def text_delta(before: str, after: str) -> tuple[int, int, int]:
    """(position, deleted, inserted) characters of the one edit turning `before` into
    `after` (exact for a single edit, a covering edit otherwise)."""
    start = _common_prefix(before, after)
    a, b = before[start:], after[start:]
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return start, len(a) - lo, len(b) - lo


def edit_to(doc: Doc, new_text: str) -> None:
    """Turn the document's text into ``new_text`` with one minimal edit (common
    prefix and suffix kept), so concurrent edits elsewhere in the text survive."""
    text = text_type(doc)
    old = str(text)
    if old == new_text:
        return
    start, deleted, inserted = text_delta(old, new_text)
    end_old, end_new = start + deleted, start + inserted
    offset = len(old[:start].encode("utf-8"))
    removed = len(old[start:end_old].encode("utf-8"))
    with doc.transaction():
        if removed:
            del text[offset : offset + removed]
        if end_new > start:
            text.insert(offset, new_text[start:end_new])


def diff_counts(before: str, after: str, inserted: int) -> tuple[int, int]:
    """(inserted, deleted) characters of a change whose inserted runs total ``inserted``."""
    return inserted, max(0, len(before) + inserted - len(after))


def update_counts(update: bytes) -> tuple[int, int] | None:
    """(inserted, deleted) characters of a Yjs (v1) update, read from its bytes: the
    code points of its string items and the length of its delete set (Yjs counts that
    in UTF-16 units: a deleted emoji counts 2). Meant for an integrated update (a
    Recorder's), whose delete set holds only what it deleted. None for an
    update this does not read (content kinds a text document does not use).

    This is what lets the hot path skip the text: counting one keystroke's update is a
    few dozen byte reads, where a text diff reads the whole file twice."""
    from sessions.live.protocol import ProtocolError, Reader

    reader = Reader(update)
    data = update
    inserted = deleted = 0
    try:
        for _ in range(reader.var_uint()):
            structs = reader.var_uint()
            reader.var_uint()  # client
            reader.var_uint()  # first clock
            for _ in range(structs):
                if reader.pos >= len(data):
                    return None
                info = data[reader.pos]
                reader.pos += 1
                ref = info & 0x1F
                if ref in (0, 10):  # GC, Skip: a length
                    reader.var_uint()
                    continue
                if info & 0x80:  # origin
                    reader.var_uint()
                    reader.var_uint()
                if info & 0x40:  # right origin
                    reader.var_uint()
                    reader.var_uint()
                if not info & 0xC0:  # no origins: the parent is written out
                    if reader.var_uint() == 1:
                        reader.var_bytes()  # a root type's name
                    else:
                        reader.var_uint()
                        reader.var_uint()
                    if info & 0x20:
                        reader.var_bytes()  # parent sub (a map key)
                if ref == 4:  # a string
                    inserted += len(reader.var_bytes().decode("utf-8", "replace"))
                elif ref == 1:  # deleted content: a length
                    reader.var_uint()
                elif ref in (3, 5):  # binary, embed
                    reader.var_bytes()
                elif ref == 6:  # format: key, value
                    reader.var_bytes()
                    reader.var_bytes()
                elif ref == 2:  # JSON: strings
                    for _ in range(reader.var_uint()):
                        reader.var_bytes()
                elif ref == 7:  # a type
                    if reader.var_uint() in (3, 4):
                        reader.var_bytes()
                else:  # Any (lib0's own encoding), subdocuments
                    return None
        for _ in range(reader.var_uint()):
            reader.var_uint()  # client
            for _ in range(reader.var_uint()):
                reader.var_uint()  # clock
                deleted += reader.var_uint()
    except (ProtocolError, IndexError):
        return None
    return inserted, deleted
