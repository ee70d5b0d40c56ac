"""Answers a dead server process left streaming fail with a message (the teachers' feed
hears assist.answered), the question is given back to the student, who may ask again at
once; a living process's are never touched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from assist import limits
from assist import sweeper as assist_sweeper
from assist.models import Policy, Question
from coding import sweeper
from sessions import events
from tests.assist.support import make_class
from tests.sweep_support import DEAD, LIVING

pytestmark = pytest.mark.django_db


def _streaming(room: Any, owner: str, **fields: Any) -> Question:
    return Question.objects.create(session=room.session, participant=room.participant, kind="question",
                                   text="why?", mode="full", owner=owner, **fields)  # fmt: skip


def test_it_fails_the_streaming_answers_of_dead_processes_only(settings: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    settings.REDIS_URL = ""  # only what this machine can tell
    sent: list[Any] = []
    monkeypatch.setattr(events, "broadcast_on_commit", lambda *, groups, event: sent.append(event))
    room = make_class()
    policy = Policy.objects.get(session=room.session)
    taken = limits.take(policy=policy, participant_id=room.participant.pk)  # the orphan's question
    orphan = _streaming(room, DEAD, answer="So far: ")
    living = [_streaming(room, owner) for owner in LIVING]
    old_unowned = _streaming(room, "")
    Question.objects.filter(pk=old_unowned.pk).update(created_at=timezone.now() - timedelta(hours=7))
    answered = _streaming(room, DEAD, status="answered", answer="Done.")

    assert sweeper.sweep_all()["AI answers"] == 2

    orphan.refresh_from_db()
    assert (orphan.status, orphan.error, orphan.answer) == ("failed", assist_sweeper.ORPHANED_MESSAGE, "So far: ")
    assert orphan.finished_at is not None
    assert Question.objects.get(pk=old_unowned.pk).status == "failed"
    assert {q.status for q in Question.objects.filter(pk__in=[q.pk for q in living])} == {"streaming"}
    assert Question.objects.get(pk=answered.pk).status == "answered"
    assert [e["type"] for e in sent] == ["assist.answered", "assist.answered"]
    assert int(cache.get(taken.counter) or 0) == 0  # given back: the provider never finished
    assert sweeper.sweep_all()["AI answers"] == 0
