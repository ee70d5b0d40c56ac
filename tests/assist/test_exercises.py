"""AI help on exercises: a hint knows the statement, the sample tests and which samples the
last check failed, never a hidden test; an exercise's override makes help stricter (off)
while it is open, whatever the student names."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from assist.models import Policy, Question
from exercises.models import SessionExercise, Submission
from tests import live_support
from tests.assist.fake_openai import FakeOpenAI
from tests.assist.support import AssistClass, client, make_class
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.live_support import next_json, open_socket

registry, app = live_support.registry, live_support.app  # fixtures
pytestmark = pytest.mark.django_db(transaction=True)


def attach(room: AssistClass) -> SessionExercise:
    exercise = ExerciseFactory(owner=room.teacher, title="Sum", statement="Read two numbers, print their sum.")
    IoCaseFactory(exercise=exercise, name="small", stdin="2 3\n", expected_stdout="5\n", visibility="sample")
    IoCaseFactory(exercise=exercise, name="secret", stdin="40000 2\n", expected_stdout="40002\n", visibility="hidden")
    link = SessionExercise.objects.create(session=room.session, exercise=exercise)
    Submission.objects.create(link=link, participant=room.participant, kind="check", status="graded", language="python",
                              results={"tests": [{"id": "t1", "name": "small", "visibility": "sample", "passed": False,
                                                  "status": "failed", "stdout": "23\n", "message": ""}]})  # fmt: skip
    return link


async def test_a_hint_on_an_exercise_knows_its_samples_and_never_its_hidden_tests(app: Any, fake: FakeOpenAI) -> None:
    room = await database_sync_to_async(make_class)(base_url=fake.base_url, mode="hints")
    link = await database_sync_to_async(attach)(room)
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await next_json(sock, "assist.state")
    await sock.send_json_to({"type": "ask", "kind": "hint", "text": "", "exercise": str(link.pk)})
    final = None
    while final is None or final["status"] == "streaming":
        final = (await next_json(sock, "assist.question"))["question"]
    sent = fake.requests[-1]["body"]["messages"][1]["content"]
    assert "Read two numbers, print their sum." in sent and "2 3" in sent and "failed the sample test small" in sent
    assert "23" in sent  # the student's output for it
    assert "40000" not in sent and "secret" not in sent
    stored = await Question.objects.aget(pk=final["id"])
    assert stored.context["exercise"] == {"id": str(link.pk), "title": "Sum", "failing_samples": ["small"]}
    await sock.send_json_to({"type": "ask", "kind": "hint", "text": "", "exercise": "nope"})
    assert (await next_json(sock, "error"))["code"] == "invalid"
    # Naming none: the one exercise open in the session is the one asked about.
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "what now?"})
    final = None
    while final is None or final["status"] == "streaming":
        final = (await next_json(sock, "assist.question"))["question"]
    assert "Read two numbers" in fake.requests[-1]["body"]["messages"][1]["content"]
    await sock.disconnect()


async def test_an_open_exercise_can_turn_help_off_while_it_is_open(app: Any, fake: FakeOpenAI) -> None:
    room = await database_sync_to_async(make_class)(base_url=fake.base_url, mode="full")
    link = await database_sync_to_async(attach)(room)
    answer = await database_sync_to_async(
        lambda: client(room.teacher).put(f"/api/sessions/{room.session.pk}/assist/policy",
                                         {"mode": "full", "exercise_modes": {str(link.pk): "off"}}, format="json")
    )()  # fmt: skip
    assert answer.status_code == 200 and answer.json()["exercise_modes"] == {str(link.pk): "off"}
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    state = await next_json(sock, "assist.state")
    assert state["allowance"]["mode"] == "off" and not state["allowance"]["enabled"]
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "how do I sum?"})  # not naming it
    refused = await next_json(sock, "error")
    assert refused["code"] == "assist_off" and "exercise" in refused["message"]
    await SessionExercise.objects.filter(pk=link.pk).aupdate(is_open=False)  # graded and closed
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "how do I sum?"})
    assert (await next_json(sock, "assist.question"))["question"]["mode"] == "full"
    await sock.disconnect()


@pytest.mark.parametrize("overrides", [{"00000000-0000-0000-0000-000000000000": "off"}, {"x": "maybe"}])
def test_overrides_name_this_sessions_exercises(overrides: dict[str, str]) -> None:
    room = make_class()
    answer = client(room.teacher).put(f"/api/sessions/{room.session.pk}/assist/policy",
                                      {"mode": "full", "exercise_modes": overrides}, format="json")  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    assert Policy.objects.get(session=room.session).mode == "full" and not Policy.objects.get().exercise_modes
