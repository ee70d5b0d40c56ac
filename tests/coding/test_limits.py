"""Run limits: runs per window with retry_after, one run per principal, a global cap
with a fair queue and positions; the same numbers for /api/me/limits."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from channels.db import database_sync_to_async

from accounts.principals import principal_key
from coding import limits
from coding.models import Execution
from sessions.models import Document
from tests import live_support
from tests.conftest import real_redis_url
from tests.factories import UserFactory
from tests.live_factories import make_document, make_participant
from tests.live_support import Classroom, next_json, open_socket

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.django_db(transaction=True)]
CONF = {**limits.DEFAULTS, "max_concurrent": 2, "per_principal_concurrent": 1}


@pytest.fixture(autouse=True)
def _fresh_slots(settings: Any) -> None:
    settings.SANDBOX_BACKEND = "fake"
    limits._slots = None


def test_it_counts_runs_per_window_and_says_when_to_retry(settings: Any) -> None:
    settings.RUN_LIMITS = {"runs_per_window": 2, "window_seconds": 60}
    key = f"g:{uuid.uuid4()}"
    assert limits.rate_take(key=key).allowed and limits.rate_take(key=key).allowed
    third = limits.rate_take(key=key)
    assert not third.allowed and 1 <= third.retry_after <= 60
    assert limits.rate_peek(key=key).used == 2  # a refused run does not count


@pytest.fixture(params=["local", "redis"])
def slots(request: pytest.FixtureRequest) -> Iterator[limits.LocalSlots | limits.RedisSlots]:
    """The in-process slots, and the Redis ones every process shares (same contract)."""
    if request.param == "local":
        yield limits.LocalSlots()
        return
    shared = limits.RedisSlots(real_redis_url(), f"test-slots-{uuid.uuid4().hex[:8]}")
    yield shared
    for key in [*shared.keys, f"{shared.keys[2]}:seen"]:
        shared.client.delete(key)


def test_it_grants_one_slot_per_principal_and_queues_past_the_cap(slots: Any) -> None:
    assert slots.acquire("a1", "u:a", CONF, first=True).granted
    assert slots.acquire("a2", "u:a", CONF, first=True).refused == "principal"
    assert slots.acquire("b1", "u:b", CONF, first=True).granted
    c = slots.acquire("c1", "u:c", CONF, first=True)
    d = slots.acquire("d1", "u:d", CONF, first=True)
    assert (c.granted, c.position, d.position) == (False, 1, 2)
    assert slots.running() == 2 and slots.running("u:a") == 1

    slots.release("a1")
    late = slots.acquire("d1", "u:d", CONF, first=False)  # d polls first, but c is ahead
    assert (late.granted, late.position) == (False, 1)  # one release away: c takes the free slot
    assert slots.acquire("c1", "u:c", CONF, first=False).granted


def test_it_keeps_the_queue_fair_when_one_student_keeps_asking(slots: Any) -> None:
    slots.acquire("x", "u:x", CONF, first=True)
    slots.acquire("y", "u:y", CONF, first=True)
    assert slots.acquire("b1", "u:b", CONF, first=True).position == 1
    assert slots.acquire("c1", "u:c", CONF, first=True).position == 2
    for n in range(5):  # b asks again and again: each request replaces the last, at the back
        assert slots.acquire(f"b{n + 2}", "u:b", CONF, first=True).position == 2
    assert slots.acquire("c1", "u:c", CONF, first=False).position == 1
    assert slots.acquire("b1", "u:b", CONF, first=False).refused == "superseded"


def test_it_places_requests_by_when_they_were_asked_for_not_when_they_reach_the_queue(slots: Any) -> None:
    slots.acquire("x", "u:x", CONF, first=True)
    slots.acquire("y", "u:y", CONF, first=True)
    t0 = time.time()
    # Asked for in the order a, b, c; their first calls reach the queue as c, b, a.
    assert slots.acquire("c1", "u:c", CONF, first=True, arrived=t0 + 0.003).position == 1
    assert slots.acquire("b1", "u:b", CONF, first=True, arrived=t0 + 0.002).position == 1
    assert slots.acquire("a1", "u:a", CONF, first=True, arrived=t0 + 0.001).position == 1
    assert [slots.acquire(t, k, CONF, first=False).position for t, k in (("b1", "u:b"), ("c1", "u:c"))] == [2, 3]
    slots.release("x")
    assert not slots.acquire("c1", "u:c", CONF, first=False).granted  # c came last to ask: it waits
    assert not slots.acquire("b1", "u:b", CONF, first=False).granted
    assert slots.acquire("a1", "u:a", CONF, first=False).granted  # the first to ask takes the slot
    slots.release("y")
    assert slots.acquire("b1", "u:b", CONF, first=False).granted


def test_it_keeps_a_share_of_the_slots_for_classes(slots: Any) -> None:
    conf = {**CONF, "max_concurrent": 3, "reserved_for_classes": 2}  # API keys: one slot at most
    t0 = time.time()
    assert slots.acquire("k1", "k:one", conf, first=True, api_key=True, arrived=t0).granted
    waiting = slots.acquire("k2", "k:two", conf, first=True, api_key=True, arrived=t0 + 0.001)
    assert (waiting.granted, waiting.position) == (False, 1)  # a slot is free, but not for a key
    # A student who asked later is not held back by the key's place: the share is full.
    assert slots.acquire("s1", "u:s", conf, first=True, arrived=t0 + 0.002).granted
    assert slots.acquire("s2", "u:t", conf, first=True, arrived=t0 + 0.003).granted
    assert slots.running() == 3
    assert not slots.acquire("k2", "k:two", conf, first=False).granted
    slots.release("s1")
    assert not slots.acquire("k2", "k:two", conf, first=False).granted  # the keys' slot is still held
    slots.release("k1")
    assert slots.acquire("k2", "k:two", conf, first=False).granted
    # With no share reserved, keys take every slot like anyone.
    free = {**CONF, "max_concurrent": 2}
    assert slots.acquire("k3", "k:three", free, first=True, api_key=True).granted is False  # s2 and k2 hold both
    slots.release("s2")
    assert slots.acquire("k3", "k:three", free, first=False, api_key=True).granted


def test_a_share_as_large_as_the_cap_still_leaves_keys_one_slot() -> None:
    assert limits.api_key_cap({"max_concurrent": 4, "reserved_for_classes": 9}) == 1
    assert limits.api_key_cap({"max_concurrent": 4, "reserved_for_classes": 1}) == 3
    assert limits.api_key_cap({"max_concurrent": 4}) == 4


def test_it_counts_the_queue_and_forgets_waiters_that_stopped_asking(slots: Any) -> None:
    conf = {**CONF, "queue_poll_seconds": 0.25}  # waiters unseen for 5 s are gone
    slots.acquire("x", "u:x", conf, first=True)
    slots.acquire("y", "u:y", conf, first=True)
    assert slots.queued(conf) == 0
    slots.acquire("b1", "u:b", conf, first=True)
    slots.acquire("c1", "u:c", conf, first=True)
    slots.acquire("b2", "u:b", conf, first=True)  # b's new request replaces its old place
    assert slots.queued(conf) == 2
    slots.release("c1")
    assert slots.queued(conf) == 1
    later = time.time() + 6
    with mock.patch.object(time, "time", return_value=later):
        assert slots.queued(conf) == 0


def test_it_reports_the_queue_length_of_the_configured_slots(settings: Any) -> None:
    settings.RUN_LIMITS = {"max_concurrent": 1}
    settings.REDIS_URL = ""  # this process's slots (the Redis ones are counted above)
    shared = limits.slots()
    shared.acquire("x", "u:x", limits.config(), first=True)
    shared.acquire("y", "u:y", limits.config(), first=True)
    assert limits.queue_length() == 1
    from monitoring.selectors import queued_runs

    assert queued_runs() == 1


def test_it_reports_usage_in_the_api_shape(settings: Any, student: Any) -> None:
    settings.RUN_LIMITS = {"runs_per_window": 5, "window_seconds": 60}
    limits.rate_take(key=principal_key(student))
    usage = limits.run_usage(principal=student)
    assert usage["window_seconds"] == 60 and usage["runs_per_window"] == 5
    assert (usage["used"], usage["remaining"]) == (1, 4)
    assert usage["resets_at"].endswith("Z")
    assert usage["concurrent"] == {"running": 0, "max": 1}


async def test_it_refuses_a_run_over_the_rate_with_retry_after(
    app: object, classroom: Classroom, settings: Any
) -> None:
    settings.RUN_LIMITS = {"runs_per_window": 1, "window_seconds": 60}
    comm = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    await comm.send_to(text_data=json.dumps({"type": "run"}))
    await next_json(comm, "exit")
    await comm.send_to(text_data=json.dumps({"type": "run"}))
    error = await next_json(comm, "error")
    assert error["code"] == "rate_limited" and 1 <= error["retry_after"] <= 60
    assert await database_sync_to_async(Execution.objects.count)() == 1  # nothing started
    usage = await limits.run_usage_async(principal=classroom.student)
    assert usage["remaining"] == 0
    await comm.disconnect()


def _more_students(classroom: Classroom, n: int) -> list[tuple[Any, Any]]:
    out = []
    for _ in range(n):
        user = UserFactory(password=None)
        participant = make_participant(session=classroom.session, user=user)
        make_document(participant=participant, content="# FAKE:loop\n")
        out.append((user, participant))
    return out


async def test_it_queues_students_past_the_global_cap_and_tells_them_their_place(
    app: object, classroom: Classroom, settings: Any
) -> None:
    settings.RUN_LIMITS = {"max_concurrent": 1, "runs_per_window": 50, "queue_poll_seconds": 0.05}
    await database_sync_to_async(Document.objects.filter(pk=classroom.document.pk).update)(content="# FAKE:loop\n")
    (b_user, b), (c_user, c) = await database_sync_to_async(_more_students)(classroom, 2)
    first = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    second = await open_socket(app, f"/ws/terminal/{b.pk}/", b_user)
    third = await open_socket(app, f"/ws/terminal/{c.pk}/", c_user)

    await first.send_to(text_data=json.dumps({"type": "run"}))
    await next_json(first, "started")
    await second.send_to(text_data=json.dumps({"type": "run"}))
    assert await next_json(second, "queued") == {"type": "queued", "position": 1}
    await third.send_to(text_data=json.dumps({"type": "run"}))
    assert await next_json(third, "queued") == {"type": "queued", "position": 2}

    await first.send_to(text_data=json.dumps({"type": "stop"}))
    await next_json(first, "exit")
    await next_json(second, "started")
    assert await next_json(third, "queued") == {"type": "queued", "position": 1}
    execution = await database_sync_to_async(Execution.objects.filter(participant=b).get)()
    assert execution.queue_wait_ms > 0

    await third.send_to(text_data=json.dumps({"type": "stop"}))  # leaving the queue
    await second.send_to(text_data=json.dumps({"type": "stop"}))
    await next_json(second, "exit")
    assert limits.slots().running() == 0
    for comm in (first, second, third):
        await comm.disconnect()
