"""GET /api/documents/{id}/history: the text at any moment, pastes marked, who may see it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sessions.live import crdt, ydoc
from sessions.live.registry import LiveRegistry
from sessions.models import DocumentUpdate
from tests import live_support
from tests.live_support import Classroom, YClient, editor, hub_has, make_classroom, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures


def _history(client: Any, document: Any, **params: Any) -> Any:
    return client.get(f"/api/documents/{document.pk}/history", params)


@pytest.mark.django_db(transaction=True)
async def test_it_replays_live_typing_with_the_paste_marked(
    app: object, classroom: Classroom, registry: LiveRegistry, client_for: Any
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    for ch in "x = 1\n":
        await student.type(len(student.text), ch)
    await asyncio.sleep(0.05)
    await student.type(len(student.text), "def pasted():\n    return 'from stack overflow'\n")
    await hub_has(registry, classroom.document, student.text)
    await registry.flush(force=True)
    await student.comm.disconnect()

    response = await database_sync_to_async(lambda: _history(client_for(classroom.teacher), classroom.document))()
    assert response.status_code == 200
    body = response.json()
    assert body["document_id"] == str(classroom.document.pk) and body["name"] == "main.py"
    assert body["base_text"] == "print('hi')\n"
    assert body["final_text"] == student.text
    events = body["events"]
    assert [e["edit"]["insert"] for e in events[:6]] == list("x = 1\n")
    assert [e["paste"] for e in events] == [False] * 6 + [True]
    assert events[-1]["author"] == {"kind": "participant", "id": str(classroom.participant.pk),
                                    "name": classroom.participant.display_name}
    assert events[-1]["text_after"] == student.text
    text = body["base_text"]  # a client steps through the edits
    for event in events:
        edit = event["edit"]
        text = text[: edit["pos"]] + edit["insert"] + text[edit["pos"] + edit["delete"] :]
        if "text_after" in event:
            assert text == event["text_after"]
    assert text == body["final_text"]


@pytest.mark.django_db(transaction=True)
async def test_it_does_not_call_offline_typing_delivered_on_reconnect_a_paste(
    app: object, classroom: Classroom, registry: LiveRegistry, client_for: Any
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    await student.comm.disconnect()
    offline = "\nfor i in range(3):\n    print(i)\n"  # typed key by key while the connection was down
    for ch in offline:
        ydoc.text_type(student.doc).insert(len(student.text.encode()), ch)
    back = YClient(await open_socket(app, f"/ws/documents/{classroom.document.pk}/", classroom.student),
                   doc=student.doc)
    await back.handshake()
    await hub_has(registry, classroom.document, student.text)
    await back.type(len(back.text), "# and now a real paste of many characters\n")
    await hub_has(registry, classroom.document, back.text)
    await registry.flush(force=True)
    await back.comm.disconnect()

    body = (await database_sync_to_async(lambda: _history(client_for(classroom.teacher), classroom.document))()).json()
    resync, pasted = body["events"]
    assert resync["inserted"] == len(offline) and resync["resynced"] and not resync["paste"]
    assert pasted["paste"] and not pasted["resynced"]
    assert body["final_text"] == back.text


@pytest.mark.django_db
def test_it_gives_the_text_at_any_moment(client_for: Any) -> None:
    room = make_classroom()
    start = timezone.now()
    for i, text in enumerate(["a\n", "ab\n", "abc\n"]):
        crdt.replace_text(document=room.document, text=text, author_user=room.teacher)
        DocumentUpdate.objects.filter(document=room.document, seq=i + 2).update(
            created_at=start + timedelta(minutes=i + 1)
        )
    client = client_for(room.teacher)
    at = (start + timedelta(minutes=2, seconds=30)).isoformat()
    body = _history(client, room.document, at=at).json()
    assert body["text_at"]["text"] == "ab\n" and body["text_at"]["seq"] == 3
    assert _history(client, room.document, at=start.isoformat()).json()["text_at"]["text"] == "print('hi')\n"
    every = _history(client, room.document, texts="all").json()["events"]
    assert [e["text_after"] for e in every] == ["a\n", "ab\n", "abc\n"]
    assert every[0]["author"]["kind"] == "teacher"

    page = _history(client, room.document, limit=2).json()
    assert [e["seq"] for e in page["events"]] == [2, 3] and page["next_after_seq"] == 3
    assert page["final_text"] == "abc\n"
    rest = _history(client, room.document, after_seq=3).json()
    assert [e["seq"] for e in rest["events"]] == [4] and rest["base_text"] == "ab\n"


@pytest.mark.django_db
def test_it_answers_in_a_fixed_number_of_queries(client_for: Any) -> None:
    room = make_classroom()
    for i in range(30):
        crdt.replace_text(document=room.document, text="x" * (i + 1), author_user=room.teacher)
    client = client_for(room.teacher)
    with CaptureQueriesContext(connection) as queries:
        assert _history(client, room.document).status_code == 200
    assert len(queries) <= 8


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "status"), [("teacher", 200), ("admin", 200), ("student", 404),
                                             ("other_teacher", 404)])
def test_it_shows_history_only_to_the_teacher_and_admins(
    client_for: Any, admin_user: Any, who: str, status: int
) -> None:
    from tests.factories import TeacherFactory

    room = make_classroom()
    principals = {"teacher": room.teacher, "admin": admin_user, "student": room.student,
                  "other_teacher": TeacherFactory(password=None)}
    response = _history(client_for(principals[who]), room.document)
    if who == "student":  # the student sees their session, but not this view
        assert response.status_code == 403
    else:
        assert response.status_code == status
