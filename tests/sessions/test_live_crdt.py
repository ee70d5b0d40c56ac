"""replace_text and seeding: the CRDT, the update log and the plain text stay in step."""

from __future__ import annotations

import pytest

from sessions.live import crdt, ydoc
from sessions.models import Document, DocumentUpdate
from tests.live_factories import make_document, make_participant, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def document() -> Document:
    session = make_session()
    return make_document(participant=make_participant(session=session), content="print('hi')\n")


def test_it_seeds_identically_from_the_same_text() -> None:
    assert crdt.seed_update("x = 1\n") == crdt.seed_update("x = 1\n")
    doc = ydoc.new_doc(crdt.seed_update("abc"), crdt.seed_update("abc"))
    assert ydoc.text_of(doc) == "abc"


def test_it_replaces_text_with_a_logged_minimal_edit(document: Document) -> None:
    teacher = document.participant.session.teacher
    crdt.replace_text(document=document, text="print('hello')\n", author_user=teacher)

    document.refresh_from_db()
    assert document.content == "print('hello')\n"
    assert crdt.text_of_state(bytes(document.yjs_state)) == "print('hello')\n"
    seed, edit = DocumentUpdate.objects.filter(document=document).order_by("seq")
    assert (seed.seq, seed.author_user_id, seed.chars_inserted) == (1, None, len("print('hi')\n"))
    assert (edit.seq, edit.author_user_id) == (2, teacher.pk)
    assert (edit.chars_inserted, edit.chars_deleted) == (4, 1)  # "i" -> "ello"
    assert document.snapshot_seq == 2


def test_it_keeps_a_concurrent_edit_elsewhere_in_the_text(document: Document) -> None:
    state = bytes(crdt.seed_update(document.content))
    client = ydoc.new_doc(state)
    ydoc.text_type(client).insert(0, "# mine\n")
    crdt.replace_text(document=document, text="print('hi')\nprint(2)\n")
    document.refresh_from_db()
    merged = ydoc.new_doc(bytes(document.yjs_state), client.get_update())
    assert ydoc.text_of(merged) == "# mine\nprint('hi')\nprint(2)\n"


def test_it_handles_multibyte_text(document: Document) -> None:
    crdt.replace_text(document=document, text="s = 'héllo 😀'\n")
    crdt.replace_text(document=document, text="s = 'héllo 😀 wörld'\n")
    document.refresh_from_db()
    assert crdt.text_of_state(bytes(document.yjs_state)) == "s = 'héllo 😀 wörld'\n"
    assert crdt.current_text(document=document) == "s = 'héllo 😀 wörld'\n"


def test_it_logs_nothing_when_the_text_is_unchanged(document: Document) -> None:
    crdt.replace_text(document=document, text=document.content)
    assert DocumentUpdate.objects.filter(document=document).count() == 1


def test_it_counts_an_integrated_update_from_its_bytes() -> None:
    """The log's character counts come from the update, not from diffing the text:
    insertions in code points, deletions as Yjs counts them (UTF-16 units)."""
    import random

    rng = random.Random(7)
    editor_doc, server = ydoc.new_doc(), ydoc.new_doc()
    recorder = ydoc.Recorder(server)
    text = ydoc.text_type(editor_doc)
    for _ in range(500):
        state, before = editor_doc.get_state(), ydoc.text_of(editor_doc)
        if before and rng.random() < 0.4:
            a = rng.randrange(len(before))
            b = min(len(before), a + rng.randrange(1, 6))
            del text[len(before[:a].encode()) : len(before[:b].encode())]
            expected = (0, len(before[a:b].encode("utf-16-le")) // 2)
        else:
            chunk = rng.choice(["x", "é", "日本", "😀", "for i in range(3):\n    print(i)\n"])
            text.insert(len(before[: rng.randrange(len(before) + 1)].encode()), chunk)
            expected = (len(chunk), 0)
        ydoc.apply_update(server, editor_doc.get_update(state))
        (change,) = recorder.take()
        assert ydoc.update_counts(change.update) == expected
    assert ydoc.text_of(server) == ydoc.text_of(editor_doc)
    assert ydoc.update_counts(ydoc.seed_update("abc\n")) == (4, 0)
    assert ydoc.update_counts(b"\x05\x01") is None  # truncated
