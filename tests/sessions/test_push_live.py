"""A push while a student types live never overwrites what they typed, even the last
second the live layer has not written to the database yet."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sessions import selectors, services
from sessions.live.bridge import channel_name
from sessions.live.registry import LiveRegistry
from sessions.live.topics import document_topic
from sessions.models import Document, DocumentUpdate
from tests import live_support
from tests.live_support import Classroom, editor, hub_has

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures

pytestmark = [pytest.mark.django_db(transaction=True)]
TYPED = "# mine\nprint('hi')\n"


def push(classroom: Classroom) -> Any:
    return database_sync_to_async(services.file_push)(
        session=classroom.session, teacher=classroom.teacher, name="main.py", content="# teacher\n"
    )


def files_of(classroom: Classroom) -> Any:
    documents = Document.objects.filter(participant=classroom.participant, deleted_at__isnull=True)
    return database_sync_to_async(lambda: dict(documents.values_list("name", "content")))()


async def test_a_push_while_the_student_types_arrives_as_a_copy(
    app: object, classroom: Classroom, registry: LiveRegistry, settings: Any
) -> None:
    settings.LIVE_FLUSH_SECONDS = 60  # nothing of the typing reaches the database before the push
    student = await editor(app, classroom.document, classroom.student)
    await student.type(0, "# mine\n")
    await hub_has(registry, classroom.document, TYPED)
    logged = DocumentUpdate.objects.filter(document=classroom.document, author_participant=classroom.participant)
    assert not await database_sync_to_async(logged.exists)()

    result = await push(classroom)

    assert [d["name"] for d in result.delivered] == ["main_from_teacher.py"]
    await student.pump(until=lambda: False, timeout=0.3)
    assert student.text == registry.hubs[classroom.document.pk].text == TYPED
    await registry.flush(force=True)
    assert await files_of(classroom) == {"main.py": TYPED, "main_from_teacher.py": "# teacher\n"}
    await student.comm.disconnect()


async def test_a_file_open_in_an_editor_counts_as_changed(
    app: object, classroom: Classroom, registry: LiveRegistry
) -> None:
    student = await editor(app, classroom.document, classroom.student)
    assert [d["name"] for d in (await push(classroom)).delivered] == ["main_from_teacher.py"]
    assert student.text == "print('hi')\n"
    await student.comm.disconnect()


async def test_a_file_nobody_has_open_is_replaced(
    app: object, classroom: Classroom, registry: LiveRegistry, settings: Any
) -> None:
    settings.LIVE_HUB_IDLE_SECONDS = 0
    student = await editor(app, classroom.document, classroom.student)
    await student.comm.disconnect()
    for _ in range(300):
        if not registry.hubs:
            break
        await asyncio.sleep(0.01)
    assert not registry.hubs
    for _ in range(300):  # with Redis, the unsubscription reaches it a moment later
        if not await database_sync_to_async(selectors.documents_in_live_editors)(document_ids=[classroom.document.pk]):
            break
        await asyncio.sleep(0.01)

    assert [d["name"] for d in (await push(classroom)).delivered] == ["main.py"]
    assert await files_of(classroom) == {"main.py": "# teacher\n"}


@pytest.mark.redis
def test_it_asks_redis_which_documents_are_open(settings: Any, redis_url: str) -> None:
    import redis

    settings.REDIS_URL = redis_url
    settings.LIVE_REDIS_PREFIX = f"test-open-{uuid.uuid4().hex[:8]}"
    opened, closed = uuid.uuid4(), uuid.uuid4()
    client = redis.Redis.from_url(redis_url, socket_timeout=3)
    subscriber = client.pubsub()
    subscriber.subscribe(channel_name(document_topic(opened)))
    subscriber.get_message(timeout=1)  # the subscription is confirmed
    try:
        assert selectors.documents_in_live_editors(document_ids=[opened, closed]) == {opened}
    finally:
        subscriber.close()
        client.close()


def test_when_redis_cannot_tell_every_document_counts_as_open(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    ids = {uuid.uuid4(), uuid.uuid4()}
    assert selectors.documents_in_live_editors(document_ids=ids) == ids
