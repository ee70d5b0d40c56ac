"""Checks and Submits a dead server process left queued end as errors with a message the
student hears (exercise.result) and the teachers see (exercise.graded); a living
process's are never touched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from coding import sweeper
from exercises import classroom
from exercises import sweeper as exercises_sweeper
from exercises.models import SessionExercise, Submission
from observer import liveness
from sessions import events
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.live_factories import make_document, make_participant, make_session
from tests.sweep_support import DEAD, LIVING

pytestmark = pytest.mark.django_db


def _queued(link: SessionExercise, participant: Any, owner: str, **fields: Any) -> Submission:
    return Submission.objects.create(link=link, participant=participant, kind="submit", language="python",
                                     files=[{"name": "main.py", "content": "print(1)"}], owner=owner,
                                     **fields)  # fmt: skip


def test_it_ends_the_queued_submissions_of_dead_processes_only(settings: Any, teacher: Any, student: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    settings.REDIS_URL = ""  # only what this machine can tell
    sent: list[tuple[list[str], Any]] = []
    monkeypatch.setattr(events, "broadcast_on_commit", lambda *, groups, event: sent.append((groups, event)))
    session = make_session(teacher=teacher)
    participant = make_participant(session=session, user=student)
    link = SessionExercise.objects.create(session=session, exercise=ExerciseFactory(owner=teacher))
    orphan = _queued(link, participant, DEAD)
    living = [_queued(link, participant, owner) for owner in LIVING]
    graded = _queued(link, participant, DEAD, status="graded", score=3, max_score=3)
    old_unowned = _queued(link, participant, "")
    Submission.objects.filter(pk=old_unowned.pk).update(created_at=timezone.now() - timedelta(hours=7))
    fresh_unowned = _queued(link, participant, "")

    assert sweeper.sweep_all()["exercise submissions"] == 2

    ended = {s.pk: s for s in Submission.objects.filter(status="error")}
    assert set(ended) == {orphan.pk, old_unowned.pk}
    assert ended[orphan.pk].message == exercises_sweeper.ORPHANED_MESSAGE
    assert ended[orphan.pk].graded_at is not None
    assert {s.status for s in Submission.objects.filter(pk__in=[s.pk for s in [*living, fresh_unowned]])} == {
        "queued"}
    graded.refresh_from_db()
    assert (graded.status, graded.score) == ("graded", 3)
    kinds = [event["type"] for _, event in sent]
    assert kinds.count("exercise.result") == 2 and kinds.count("exercise.graded") == 2
    result = next(event for _, event in sent if event["type"] == "exercise.result")
    assert result["submission"]["status"] == "error"
    assert result["submission"]["message"] == exercises_sweeper.ORPHANED_MESSAGE
    assert sweeper.sweep_all()["exercise submissions"] == 0  # nothing left to end


def test_a_submission_is_owned_by_the_process_that_records_it(teacher: Any, student: Any) -> None:
    session = make_session(teacher=teacher)
    participant = make_participant(session=session, user=student)
    exercise = ExerciseFactory(owner=teacher)
    IoCaseFactory(exercise=exercise)
    link = SessionExercise.objects.create(session=session, exercise=exercise)
    make_document(participant=participant, name="main.py", content="print(5)\n")
    submission = classroom.submission_start(participant=participant, link=link, kind="check")
    assert submission.owner == liveness.PROCESS
