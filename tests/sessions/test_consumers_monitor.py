"""The teachers' monitor on /ws/sessions/{id}/: snapshot, joins and leaves, presence,
typing, coalesced previews, help events, and nothing before the commit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from sessions import services
from sessions.models import ClassSession, HelpRequest, Participant
from tests import live_support
from tests.factories import UserFactory
from tests.live_support import Classroom, editor, next_json, open_socket, recv

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


async def _monitor(app: object, classroom: Classroom) -> Any:
    comm = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.teacher)
    snapshot = await next_json(comm, "snapshot")
    return comm, snapshot


async def _events(comm: Any, seconds: float) -> list[dict[str, Any]]:
    """Every JSON event that arrives within `seconds`."""
    import json

    loop = asyncio.get_running_loop()
    end, out = loop.time() + seconds, []
    while (left := end - loop.time()) > 0:
        message = await recv(comm, left)
        if message is None:
            break
        if message.get("text"):
            out.append(json.loads(message["text"]))
    return out


async def test_it_gives_the_teacher_a_snapshot_of_the_class(app: object, classroom: Classroom) -> None:
    await database_sync_to_async(services.help_raise)(participant=classroom.participant, message="stuck")
    comm, snapshot = await _monitor(app, classroom)
    assert [p["id"] for p in snapshot["participants"]] == [str(classroom.participant.pk)]
    assert [h["message"] for h in snapshot["help"]] == ["stuck"]
    await comm.disconnect()


async def test_it_reports_joins_presence_and_leaves(app: object, classroom: Classroom) -> None:
    comm, _ = await _monitor(app, classroom)
    await database_sync_to_async(ClassSession.objects.filter(pk=classroom.session.pk).update)(state="draft")
    session = await database_sync_to_async(ClassSession.objects.get)(pk=classroom.session.pk)
    session = await database_sync_to_async(services.session_start)(session=session)
    newcomer = await database_sync_to_async(UserFactory)(password=None)
    await database_sync_to_async(services.session_join)(code=session.join_code, principal=newcomer)
    joined = await next_json(comm, "participant.joined")
    assert joined["participant"]["display_name"]

    student = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.student)
    assert await next_json(comm, "presence") == {
        "type": "presence", "participant_id": str(classroom.participant.pk), "online": True,
    }
    await student.disconnect()
    assert (await next_json(comm, "presence"))["online"] is False
    left = await next_json(comm, "participant.left")
    assert left["participant"]["id"] == str(classroom.participant.pk)
    participant = await database_sync_to_async(Participant.objects.get)(pk=classroom.participant.pk)
    assert participant.connections == 0
    await comm.disconnect()


async def test_it_coalesces_previews_to_a_few_a_second(app: object, classroom: Classroom, settings: Any) -> None:
    settings.LIVE_PREVIEW_INTERVAL_SECONDS = 0.25
    comm, _ = await _monitor(app, classroom)
    student = await editor(app, classroom.document, classroom.student)
    await next_json(comm, "presence")

    async def type_fast() -> None:
        for i in range(100):  # 100 keystrokes in about a second
            await student.type(len(student.text), str(i % 10))
            await asyncio.sleep(0.01)

    loop = asyncio.get_running_loop()
    began = loop.time()
    typing_task = asyncio.create_task(type_fast())
    events = await _events(comm, 1.8)
    await typing_task
    typed_for = loop.time() - began
    # On a loaded machine the typing outlasts the window: its trailing preview comes after.
    events += await _events(comm, 0.6)
    previews = [e for e in events if e["type"] == "preview" and not e["opened"]]
    # Coalesced: at most one per interval (0.25 s) while typing, plus the last.
    assert 2 <= len(previews) <= typed_for / 0.25 + 2, (len(previews), typed_for)
    assert previews[-1]["text"] == student.text
    assert previews[-1]["document_id"] == str(classroom.document.pk)
    assert previews[-1]["participant_id"] == str(classroom.participant.pk)
    assert previews[-1]["name"] == "main.py"
    typing = [e for e in events if e["type"] == "typing"]
    assert 1 <= len(typing) <= typed_for / 2 + 1, (len(typing), typed_for)  # at most one per 2 s
    await student.comm.disconnect()
    await comm.disconnect()


async def test_it_caps_the_preview_text(app: object, classroom: Classroom, settings: Any) -> None:
    settings.LIVE_PREVIEW_MAX_CHARS = 50
    comm, _ = await _monitor(app, classroom)
    student = await editor(app, classroom.document, classroom.student)
    assert (await next_json(comm, "preview"))["truncated"] is False  # the file as opened
    await student.type(0, "x" * 500)
    preview = await next_json(comm, "preview")
    assert len(preview["text"]) == 50 and preview["truncated"] is True
    await student.comm.disconnect()
    await comm.disconnect()


async def test_it_relays_help_events_only_after_commit(app: object, classroom: Classroom) -> None:
    comm, _ = await _monitor(app, classroom)
    mine = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.student)

    def raise_then_roll_back() -> None:
        with transaction.atomic():
            services.help_raise(participant=Participant.objects.get(pk=classroom.participant.pk), message="oops")
            transaction.set_rollback(True)

    await database_sync_to_async(raise_then_roll_back)()
    await database_sync_to_async(services.help_raise)(participant=classroom.participant, message="for real")
    raised = await next_json(comm, "help.raised")
    assert raised["help_request"]["message"] == "for real"  # the rolled-back one never came
    assert (await next_json(mine, "help.updated"))["help_request"]["state"] == "open"

    request = await database_sync_to_async(HelpRequest.objects.get)(message="for real")
    await database_sync_to_async(services.help_claim)(help_request=request, teacher=classroom.teacher)
    assert (await next_json(comm, "help.claimed"))["help_request"]["state"] == "claimed"
    await database_sync_to_async(services.help_resolve)(help_request=request, teacher=classroom.teacher)
    assert (await next_json(comm, "help.resolved"))["help_request"]["state"] == "resolved"
    await mine.disconnect()
    await comm.disconnect()


async def test_it_gives_students_no_monitor_events(app: object, classroom: Classroom) -> None:
    mine = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.student)
    peer = await editor(app, classroom.document, classroom.teacher)
    await peer.type(0, "# teacher typing\n")
    assert [e for e in await _events(mine, 0.6) if e["type"] in {"preview", "typing", "presence"}] == []
    assert (await _events(mine, 0.1)) == []
    await peer.comm.disconnect()
    await mine.disconnect()


async def test_it_answers_ping_and_closes_a_removed_student(app: object, classroom: Classroom) -> None:
    mine = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.student)
    await mine.send_to(text_data='{"type": "ping"}')
    assert await next_json(mine, "pong") == {"type": "pong"}
    participant = await database_sync_to_async(Participant.objects.get)(pk=classroom.participant.pk)
    await database_sync_to_async(services.participant_remove)(participant=participant, actor=classroom.teacher)
    assert (await next_json(mine, "participant.removed"))["participant"]["id"] == str(participant.pk)
    assert await live_support.close_code(mine) == 4403
