"""Flood control on document sockets loses no edit: cursor frames give way first, a
dropped update is made up by a resync (the server's step 1, the client's step 2),
and a client that keeps flooding is closed with 4429 and audited by name."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from monitoring.models import AuditEvent
from sessions.live import protocol, ydoc
from sessions.live.registry import LiveRegistry
from tests import live_support
from tests.live_support import Classroom, close_code, editor, hub_has, next_json, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _tight_budget(settings: Any) -> None:
    settings.LIVE_RATE_PER_SECOND = 20
    settings.LIVE_RATE_BURST = 12
    settings.LIVE_FLOOD_CLOSE_AFTER = 10_000
    settings.LIVE_RESYNC_QUIET_SECONDS = 0.1


def _cursor(client: live_support.YClient, n: int) -> bytes:
    state = f'{{"cursor": {n}}}'
    return protocol.awareness_message(protocol.encode_awareness([(client.doc.client_id, n + 1, state)]))


async def test_it_loses_no_update_when_a_client_floods(
    app: object, classroom: Classroom, registry: LiveRegistry
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)
    for n in range(60):  # a keystroke and a cursor move each, far past the budget
        await student.type(len(student.text), "abcdefghij"[n % 10])
        await student.comm.send_to(bytes_data=_cursor(student, n))
    # The student's editor answers the server's step 1 (sent once the flood is over).
    await student.pump(until=lambda: registry.hubs[classroom.document.pk].text == student.text, timeout=5)
    assert any(t.get("code") == "throttled" for t in student.texts)
    assert registry.hubs[classroom.document.pk].text == student.text
    assert student.text.endswith("abcdefghij" * 6)
    assert await teacher.wait_text(student.text) == student.text
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_drops_cursor_frames_before_edits(app: object, classroom: Classroom, registry: LiveRegistry) -> None:
    student = await editor(app, classroom.document, classroom.student)
    for n in range(30):
        await student.comm.send_to(bytes_data=_cursor(student, n))
    await next_json(student.comm, "error")  # throttled: cursors were dropped ...
    await student.type(0, "# kept\n")  # ... and the edit right after still goes through at once
    await hub_has(registry, classroom.document, "# kept\nprint('hi')\n", timeout=0.05)
    await student.comm.disconnect()


async def test_it_answers_a_dropped_step1_once_the_flood_is_over(app: object, classroom: Classroom) -> None:
    student = await editor(app, classroom.document, classroom.student)
    for _ in range(20):  # empty updates: valid, change nothing, spend the budget
        await student.comm.send_to(bytes_data=protocol.sync_update(ydoc.EMPTY_UPDATE))
    behind = ydoc.new_doc()  # a fresh tab's state: it lacks everything
    await student.comm.send_to(bytes_data=protocol.sync_step1(behind.get_state()))
    while True:
        message = await live_support.recv(student.comm, 3)
        assert message is not None, "the dropped step 1 was never answered"
        if message.get("bytes") and protocol.parse(message["bytes"]).sync_type == protocol.SYNC_STEP2:
            ydoc.apply_update(behind, protocol.parse(message["bytes"]).payload)
            break
    assert ydoc.text_of(behind) == "print('hi')\n"
    await student.comm.disconnect()


async def test_it_closes_a_client_that_keeps_flooding_and_audits_who(
    app: object, classroom: Classroom, settings: Any
) -> None:
    settings.LIVE_FLOOD_CLOSE_AFTER = 20
    comm = await open_socket(app, f"/ws/sessions/{classroom.session.pk}/", classroom.student)
    for _ in range(60):
        await comm.send_to(text_data='{"type": "ping"}')
    assert await close_code(comm) == 4429

    def lockouts() -> list[tuple[Any, dict[str, Any]]]:
        return list(AuditEvent.objects.filter(action="ratelimit.lockout").values_list("actor_id", "details"))

    for _ in range(100):
        found = await database_sync_to_async(lockouts)()
        if found:
            break
        await asyncio.sleep(0.02)
    assert found == [(classroom.student.pk, {"scope": "websocket", "limit": "session",
                                             "who": classroom.student.username})]
    await comm.disconnect()
