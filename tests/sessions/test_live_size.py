"""The live editor keeps a file within the same content cap as the REST API: an
update that would grow it past the cap is undone (everyone, the log and the
database keep the text from before) and answered with `too_large`; typing goes on."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sessions import filenames
from sessions.live.registry import LiveRegistry
from sessions.models import Document, DocumentUpdate
from tests import live_support
from tests.live_support import Classroom, editor, hub_has

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]
CAP = 2048


@pytest.fixture(autouse=True)
def _small_cap(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    monkeypatch.setattr(filenames, "max_content_bytes", lambda language: CAP)
    settings.LIVE_FLUSH_SECONDS = 0.05
    settings.LIVE_SNAPSHOT_IDLE_SECONDS = 0.1


async def test_it_undoes_an_update_that_grows_the_file_past_the_cap(
    app: object, classroom: Classroom, registry: LiveRegistry
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    teacher = await editor(app, classroom.document, classroom.teacher)
    await student.type(0, "é" * 1500)  # 1500 characters, 3000 bytes
    await student.pump(until=lambda: student.text == "print('hi')\n" and _refused(student))
    assert student.text == "print('hi')\n"  # the client took the undo
    error = _refused(student)
    assert error is not None and "2 KB" in error["message"]
    hub = registry.hubs[classroom.document.pk]
    assert hub.text == "print('hi')\n"
    assert len(hub.doc.get_update()) < 200  # the undone text is not kept

    await student.type(0, "# fine\n")  # the editor still works afterwards
    assert await teacher.wait_text("# fine\nprint('hi')\n") == "# fine\nprint('hi')\n"
    await hub_has(registry, classroom.document, "# fine\nprint('hi')\n")
    await asyncio.sleep(0.4)
    stored = await database_sync_to_async(Document.objects.get)(pk=classroom.document.pk)
    assert stored.content == "# fine\nprint('hi')\n"
    sizes = await database_sync_to_async(
        lambda: [len(bytes(u)) for u in DocumentUpdate.objects.filter(document=stored).values_list("update", flat=True)]
    )()
    assert max(sizes) < 200
    await student.comm.disconnect()
    await teacher.comm.disconnect()


async def test_it_lets_a_file_grow_up_to_the_cap_and_shrink_when_over_it(
    app: object, classroom: Classroom, registry: LiveRegistry
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    room = CAP - len("print('hi')\n")
    await student.type(0, "x" * room)  # exactly at the cap
    await hub_has(registry, classroom.document, "x" * room + "print('hi')\n")
    await student.type(0, "y")  # one byte over
    await student.pump(until=lambda: _refused(student) is not None and not student.text.startswith("y"))
    assert student.text == "x" * room + "print('hi')\n"
    hub = registry.hubs[classroom.document.pk]
    hub.meta = dataclasses.replace(hub.meta, max_bytes=100)  # the cap shrank below the file
    await student.comm.send_to(bytes_data=_delete_first(student, 10))
    await hub_has(registry, classroom.document, "x" * (room - 10) + "print('hi')\n")  # shrinking is allowed
    await student.comm.disconnect()


def _refused(client: live_support.YClient) -> dict[str, Any] | None:
    return next((t for t in client.texts if t.get("code") == "too_large"), None)


def _delete_first(client: live_support.YClient, n: int) -> bytes:
    from sessions.live import protocol, ydoc

    before = client.doc.get_state()
    text = ydoc.text_type(client.doc)
    del text[0:n]
    return protocol.sync_update(client.doc.get_update(before))
