"""The assist socket end to end against the fake provider: asking, streaming, the
teacher's feed, the policy enforced, limits, stopping, resuming, refusals, and the key
never in any frame, log line or stored record."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from assist.models import Policy, Question
from coding.models import Execution
from tests import live_support
from tests.assist.fake_openai import ANSWER, FakeOpenAI
from tests.assist.support import AssistClass, assert_no_key, client, make_class
from tests.live_support import close_code, next_json, open_socket, recv

registry, app = live_support.registry, live_support.app  # fixtures
pytestmark = pytest.mark.django_db(transaction=True)

TRACEBACK = (
    'Traceback (most recent call last):\n  File "main.py", line 1\n    if True\n           ^\n'
    "SyntaxError: expected ':'\n"
)


def failed_run(room: AssistClass) -> None:
    Execution.objects.create(participant=room.participant, session=room.session, language="python",
                             status="runtime-error", exit_code=1, message="exited with code 1",
                             output_tail=TRACEBACK)  # fmt: skip


async def setup(fake: FakeOpenAI, **options: Any) -> AssistClass:
    room: AssistClass = await database_sync_to_async(make_class)(base_url=fake.base_url, **options)
    await database_sync_to_async(failed_run)(room)
    return room


class Seen:
    """Every JSON frame a socket delivered (for the key check at the end)."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def next(self, comm: WebsocketCommunicator, type_: str | None = None, timeout: float = 5) -> dict[str, Any]:
        while True:
            message = await recv(comm, timeout)
            assert message is not None, f"no {type_ or 'JSON'} frame arrived"
            assert message["type"] == "websocket.send", message
            frame = json.loads(message["text"])
            self.frames.append(frame)
            if type_ is None or frame["type"] == type_:
                return dict(frame)

    async def answer(self, comm: WebsocketCommunicator) -> tuple[str, dict[str, Any]]:
        """The deltas' text and the question's final frame."""
        text = ""
        while True:
            frame = await self.next(comm)
            if frame["type"] == "assist.delta":
                assert frame["offset"] == len(text)
                text += frame["text"]
            elif frame["type"] == "assist.question" and frame["question"]["status"] != "streaming":
                return text, frame["question"]


async def test_a_student_asks_to_explain_a_syntax_error_and_the_teacher_sees_it(
    app: Any, fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    room = await setup(fake)
    seen = Seen()
    monitor = await open_socket(app, f"/ws/sessions/{room.session.pk}/", room.teacher)
    await seen.next(monitor, "snapshot")
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    state = await seen.next(sock, "assist.state")
    assert state["allowance"]["enabled"] and state["allowance"]["left"] == 10 and state["questions"] == []
    await sock.send_json_to({"type": "ask", "kind": "explain", "text": ""})
    asked = await seen.next(sock, "assist.question")
    assert asked["question"]["status"] == "streaming" and "context" not in asked["question"]
    text, final = await seen.answer(sock)
    assert text == "".join(ANSWER) == final["answer"]
    assert final["status"] == "answered" and final["completion_tokens"] == 17 and final["model"] == "tutor"
    assert final["error_summary"] == "SyntaxError: expected ':'"
    allowance = await seen.next(sock, "assist.allowance")
    assert allowance["allowance"]["left"] == 9
    # The teacher's feed: asked, then answered with the context that was sent.
    feed_asked = await seen.next(monitor, "assist.asked")
    feed_answered = await seen.next(monitor, "assist.answered")
    assert feed_asked["question"]["participant_name"] == "Ada"
    context = feed_answered["question"]["context"]
    assert context["run"]["file"] == "main.py" and context["run"]["line"] == 1
    assert "SyntaxError" in context["run"]["output_tail"] and "if True" in context["run"]["code_around"]
    assert context["files"] == [{"name": "main.py", "bytes": 24, "truncated": False}]
    # What the provider got: the policy in the system prompt, the traceback and the code.
    sent = fake.requests[-1]["body"]["messages"]
    assert "may explain, suggest fixes" in sent[0]["content"]
    assert "SyntaxError: expected ':'" in sent[1]["content"] and "   1 | if True" in sent[1]["content"]
    stored = await Question.objects.aget(pk=final["id"])
    assert stored.duration_ms is not None and stored.prompt_tokens == 120
    # Over REST: the student's own view, the teacher's log, analytics, the export.
    rest = await database_sync_to_async(rest_views)(room)
    assert rest["log"]["results"][0]["answer"] == text
    assert rest["analytics"]["common_errors"] == [{"error": "SyntaxError: expected ':'", "count": 1}]
    assert rest["analytics"]["students"][0]["questions"] == 1
    assert rest["export"]["questions"][0]["id"] == final["id"]
    assert "withheld_answer" not in rest["own"]["questions"][0]
    assert_no_key(seen.frames, caplog.text, rest, list(await database_sync_to_async(stored_rows)()))
    await sock.disconnect()
    await monitor.disconnect()


def rest_views(room: AssistClass) -> dict[str, Any]:
    teacher = client(room.teacher)
    export = teacher.get(f"/api/sessions/{room.session.pk}/assist/export")
    assert export["Content-Disposition"].endswith('-ai-help.json"')
    return {
        "own": client(room.student).get(f"/api/participants/{room.participant.pk}/assist").json(),
        "log": teacher.get(f"/api/sessions/{room.session.pk}/assist/questions").json(),
        "analytics": teacher.get(f"/api/sessions/{room.session.pk}/assist/analytics").json(),
        "export": json.loads(export.content),
    }


def stored_rows() -> list[str]:
    return [json.dumps(row, default=str) for row in Question.objects.values()]


async def test_hints_only_withholds_an_answer_that_shows_code(app: Any, fake: FakeOpenAI) -> None:
    room = await setup(fake, mode="hints", model="coder")
    seen = Seen()
    monitor = await open_socket(app, f"/ws/sessions/{room.session.pk}/", room.teacher)
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await seen.next(sock, "assist.state")
    await sock.send_json_to({"type": "ask", "kind": "hint", "text": "what now?"})
    text, final = await seen.answer(sock)
    assert "```" not in text and "print" not in text and "`" not in text
    assert final["status"] == "withheld" and "withheld" in final["answer"] and "print" not in final["answer"]
    answered = await seen.next(monitor, "assist.answered")
    assert "```python" in answered["question"]["withheld_answer"]  # generation stopped at the code block
    assert "Never write code" in fake.requests[-1]["body"]["messages"][0]["content"]
    await sock.disconnect()
    await monitor.disconnect()


async def test_the_hourly_limit_and_the_session_budget(app: Any, fake: FakeOpenAI) -> None:
    room = await setup(fake, per_hour=1, budget=2)
    seen = Seen()
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await seen.next(sock, "assist.state")
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "what is a colon?"})
    await seen.answer(sock)
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "and again?"})
    refused = await seen.next(sock, "error")
    assert refused["code"] == "rate_limited" and refused["retry_after"] >= 1
    peer = await open_socket(app, f"/ws/assist/{room.peer.pk}/", room.peer_user)
    await seen.next(peer, "assist.state")
    await peer.send_json_to({"type": "ask", "kind": "question", "text": "me too?"})
    await seen.answer(peer)
    guest = await open_socket(app, f"/ws/assist/{room.guest.pk}/", room.guest)
    state = await seen.next(guest, "assist.state")
    assert state["allowance"]["session_left"] == 0 and state["allowance"]["left"] == 0
    await guest.send_json_to({"type": "ask", "kind": "question", "text": "and me?"})
    assert (await seen.next(guest, "error"))["code"] == "budget_spent"
    assert await Question.objects.acount() == 2
    for comm in (sock, peer, guest):
        await comm.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [({"type": "ask", "kind": "question", "text": "   "}, "invalid"),
     ({"type": "ask", "kind": "poem", "text": "x"}, "invalid"),
     ({"type": "ask", "kind": "question", "text": "x" * 2001}, "too_large"),
     ({"type": "ask", "kind": "question", "text": "x" * 70_000}, "too_large"),
     ({"type": "ask", "kind": "question", "text": 7}, "invalid"),
     ({"type": "ask", "kind": "hint", "text": "", "file": "main.py", "line": -3}, "invalid"),
     ({"type": "stop", "question_id": "nope"}, "invalid"),
     ({"type": "stop", "question_id": "00000000-0000-0000-0000-000000000000"}, "not_found"),
     ({"type": "dance"}, "invalid")],
)  # fmt: skip
async def test_bad_frames_get_a_clear_error_and_change_nothing(
    app: Any, fake: FakeOpenAI, frame: dict[str, Any], code: str
) -> None:
    room = await setup(fake)
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await next_json(sock, "assist.state")
    await sock.send_json_to(frame)
    assert (await next_json(sock, "error"))["code"] == code
    assert await Question.objects.acount() == 0 and fake.requests == []
    await sock.disconnect()


async def test_refusals_by_policy_and_setup(app: Any, fake: FakeOpenAI) -> None:
    room = await setup(fake)
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await next_json(sock, "assist.state")
    ask = {"type": "ask", "kind": "question", "text": "why?"}
    # The teacher turns help off for this student: their tab is told, and asking is refused.
    answer = await database_sync_to_async(
        lambda: client(room.teacher).put(f"/api/participants/{room.participant.pk}/assist", {"enabled": False},
                                         format="json"))()  # fmt: skip
    assert answer.status_code == 200 and answer.json()["disabled_participants"] == [str(room.participant.pk)]
    assert (await next_json(sock, "assist.allowance"))["allowance"]["enabled"] is False
    await sock.send_json_to(ask)
    assert (await next_json(sock, "error"))["code"] == "assist_off"
    # ...back on; then off for the class.
    await database_sync_to_async(
        lambda: client(room.teacher).put(f"/api/participants/{room.participant.pk}/assist", {"enabled": True},
                                         format="json"))()  # fmt: skip
    assert (await next_json(sock, "assist.allowance"))["allowance"]["enabled"] is True
    await Policy.objects.filter(session=room.session).aupdate(mode="off")
    await sock.send_json_to(ask)
    assert (await next_json(sock, "error"))["code"] == "assist_off"
    await Policy.objects.filter(session=room.session).aupdate(mode="full")
    await Execution.objects.filter(participant=room.participant).aupdate(status="ok", output_tail="fine\n")
    await sock.send_json_to({"type": "ask", "kind": "explain", "text": ""})
    assert (await next_json(sock, "error"))["code"] == "no_failed_run"
    from assist.models import Provider

    await Provider.objects.all().adelete()
    await sock.send_json_to(ask)
    assert (await next_json(sock, "error"))["code"] == "not_configured"
    assert await Question.objects.acount() == 0
    await sock.disconnect()


async def test_a_failing_provider_is_told_and_costs_nothing(app: Any, fake: FakeOpenAI) -> None:
    room = await setup(fake, model="broken")
    seen = Seen()
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await seen.next(sock, "assist.state")
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "why?"})
    _text, final = await seen.answer(sock)
    assert final["status"] == "failed" and "answered with an error (500)" in final["error"]
    assert (await seen.next(sock, "assist.allowance"))["allowance"]["left"] == 10
    assert_no_key(seen.frames)
    await sock.disconnect()


async def test_the_student_stops_an_answer(app: Any, fake: FakeOpenAI) -> None:
    room = await setup(fake, model="slow")
    seen = Seen()
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await seen.next(sock, "assist.state")
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "tell me everything"})
    asked = await seen.next(sock, "assist.question")
    await seen.next(sock, "assist.delta")
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "and another"})  # one at a time
    assert (await seen.next(sock, "error"))["code"] == "busy"
    await sock.send_json_to({"type": "stop", "question_id": asked["question"]["id"]})
    _text, final = await seen.answer(sock)
    assert final["status"] == "stopped" and final["answer"].startswith("word0 ")
    assert "word59" not in final["answer"]
    await sock.disconnect()


async def test_a_lost_connection_resumes_with_what_was_generated(app: Any, fake: FakeOpenAI) -> None:
    room = await setup(fake, model="slow")
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await next_json(sock, "assist.state")
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "count"})
    await next_json(sock, "assist.delta")
    await next_json(sock, "assist.delta")
    await sock.disconnect()  # the tab is gone; the answer goes on
    await asyncio.sleep(0.3)
    again = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    state = await next_json(again, "assist.state")
    (question,) = state["questions"]
    assert question["status"] == "streaming" and question["answer"].startswith("word0 word1 ")
    seen, text = Seen(), question["answer"]
    while True:
        frame = await seen.next(again, timeout=10)
        if frame["type"] == "assist.delta":
            if frame["offset"] + len(frame["text"]) <= len(text):
                continue  # already had it
            assert frame["offset"] == len(text), "a gap in the resumed answer"
            text += frame["text"]
        elif frame["type"] == "assist.question" and frame["question"]["status"] == "answered":
            break
    expected = "".join(f"word{i} " for i in range(60))
    assert text == expected == frame["question"]["answer"]
    await again.disconnect()


@pytest.mark.parametrize(
    ("who", "outcome"),
    [("student", "asks"), ("teacher", "watches"), ("admin", "watches"), ("peer", 4403), ("outsider", 4403),
     ("guest", 4403)],
)  # fmt: skip
async def test_who_may_open_a_students_assist_socket(app: Any, fake: FakeOpenAI, who: str, outcome: Any) -> None:
    room = await setup(fake)
    principal = {"student": room.student, "teacher": room.teacher, "admin": room.admin, "peer": room.peer_user,
                 "outsider": room.outsider, "guest": room.guest}[who]  # fmt: skip
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", principal, expect=False)
    if isinstance(outcome, int):
        assert await close_code(sock) == outcome
        return
    await next_json(sock, "assist.state")
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "why?"})
    if outcome == "watches":
        assert (await next_json(sock, "error"))["code"] == "forbidden"
    else:
        assert (await next_json(sock, "assist.question"))["question"]["status"] == "streaming"
        await next_json(sock, "assist.allowance")
    await sock.disconnect()


async def test_anonymous_and_unknown(app: Any, fake: FakeOpenAI) -> None:
    room = await setup(fake)
    anonymous = WebsocketCommunicator(app, f"/ws/assist/{room.participant.pk}/", headers=[(b"origin", b"http://testserver")],
                                      subprotocols=["observer"])  # fmt: skip
    connected, _ = await anonymous.connect(timeout=5)
    assert not connected  # refused at the handshake (1008), as every socket
    unknown = await open_socket(app, "/ws/assist/00000000-0000-0000-0000-000000000000/", room.student, expect=False)
    assert await close_code(unknown) == 4404


async def test_huge_files_go_within_the_context_budget(app: Any, fake: FakeOpenAI, settings: Any) -> None:
    settings.ASSIST = {**settings.ASSIST, "CONTEXT_BYTES": 4000}
    room = await setup(fake)
    from tests.live_factories import make_document

    await database_sync_to_async(make_document)(participant=room.participant, name="big.py", content="x = 1\n" * 20_000)
    sock = await open_socket(app, f"/ws/assist/{room.participant.pk}/", room.student)
    await next_json(sock, "assist.state")
    await sock.send_json_to({"type": "ask", "kind": "question", "text": "what is big.py?", "file": "big.py"})
    final = None
    while final is None or final["status"] == "streaming":
        final = (await next_json(sock, "assist.question"))["question"]
    stored = await Question.objects.aget(pk=final["id"])
    files = stored.context["files"]
    assert files[0] == {"name": "big.py", "bytes": 4000, "truncated": True}  # the file asked about first
    assert len(files) == 1  # the budget is spent: main.py stays home
    sent = fake.requests[-1]["body"]["messages"][1]["content"]
    assert len(sent.encode()) < 4000 + 1000
    await sock.disconnect()
