"""The session's policy, the per-student switch, the log, analytics and the export over
REST: who may do what (every principal), bad input, and the key in no answer."""

from __future__ import annotations

from typing import Any

import pytest

from assist.models import Policy, Question
from tests.assist.support import AssistClass, assert_no_key, client, make_class

pytestmark = pytest.mark.django_db

WHO = ["teacher", "admin", "student", "peer", "guest", "outsider", "anonymous"]


def principal(room: AssistClass, who: str) -> Any:
    return {"teacher": room.teacher, "admin": room.admin, "student": room.student, "peer": room.peer_user,
            "guest": room.guest, "outsider": room.outsider, "anonymous": None}[who]  # fmt: skip


def ask_one(room: AssistClass) -> Question:
    return Question.objects.create(
        session=room.session, participant=room.participant, kind="question", text="why?", mode="full", model="tutor",
        answer="Because.", status="answered",
        context={"language": "python", "run": None, "files": [], "asked_about": None},
    )  # fmt: skip


def test_the_teacher_sets_the_policy(fake: Any) -> None:
    room = make_class(base_url=fake.base_url, mode="off")
    teacher = client(room.teacher)
    answer = teacher.put(f"/api/sessions/{room.session.pk}/assist/policy",
                         {"mode": "hints", "per_student_per_hour": 3, "session_budget": 50}, format="json")  # fmt: skip
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["mode"], data["per_student_per_hour"], data["session_budget"]) == ("hints", 3, 50)
    assert data["provider"]["key_hint"] == "sk-…wxyz" and data["provider"]["scope"] == "teacher"
    assert_no_key(answer.content)
    policy = Policy.objects.get(session=room.session)
    assert (policy.mode, policy.per_student_per_hour) == ("hints", 3)
    own = client(room.student).get(f"/api/participants/{room.participant.pk}/assist").json()
    assert own["allowance"] | {"resets_at": None} == {
        "mode": "hints",
        "enabled": True,
        "configured": True,
        "left": 3,
        "limit": 3,
        "used": 0,
        "resets_at": None,
        "session_left": 50,
    }


BAD_POLICIES = [
    {"mode": "maybe"}, {"mode": "full", "per_student_per_hour": 0}, {"mode": "full", "session_budget": -1}, {},
    {"mode": "full", "session_budget": "lots"},
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_POLICIES)
def test_a_bad_policy_is_refused_and_changes_nothing(bad: dict[str, Any]) -> None:
    room = make_class(mode="explain")
    answer = client(room.teacher).put(f"/api/sessions/{room.session.pk}/assist/policy", bad, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    assert Policy.objects.get(session=room.session).mode == "explain"


POLICY_PUT = {
    "teacher": 200,
    "admin": 403,
    "student": 403,
    "peer": 403,
    "guest": 403,
    "outsider": 404,
    "anonymous": 401,
}
POLICY_GET = {**POLICY_PUT, "admin": 200}
LOG_GET = POLICY_GET
OWN_GET = {"teacher": 200, "admin": 200, "student": 200, "peer": 403, "guest": 403, "outsider": 404, "anonymous": 401}
SWITCH_PUT = {**OWN_GET, "admin": 403, "student": 403}


@pytest.mark.parametrize("who", WHO)
def test_who_may_read_and_change_what(fake: Any, who: str) -> None:
    room = make_class(base_url=fake.base_url)
    ask_one(room)
    api = client(principal(room, who))
    sid, pid = room.session.pk, room.participant.pk
    expected = [
        (api.get(f"/api/sessions/{sid}/assist/policy"), POLICY_GET[who]),
        (api.put(f"/api/sessions/{sid}/assist/policy", {"mode": "off"}, format="json"), POLICY_PUT[who]),
        (api.get(f"/api/sessions/{sid}/assist/questions"), LOG_GET[who]),
        (api.get(f"/api/sessions/{sid}/assist/analytics"), LOG_GET[who]),
        (api.get(f"/api/sessions/{sid}/assist/export"), LOG_GET[who]),
        (api.get(f"/api/participants/{pid}/assist"), OWN_GET[who]),
        (api.put(f"/api/participants/{pid}/assist", {"enabled": False}, format="json"), SWITCH_PUT[who]),
    ]
    for number, (answer, status) in enumerate(expected):
        assert answer.status_code == status, (number, answer.content)
        if status >= 400:
            assert set(answer.json()["error"]) >= {"code", "message"}
        assert_no_key(answer.content)
    changed = Policy.objects.get(session=room.session)
    assert (changed.mode == "off") == (who == "teacher")
    assert (changed.disabled_participants == [str(pid)]) == (who == "teacher")


def test_the_log_shows_the_teacher_everything_and_filters(fake: Any) -> None:
    room = make_class(base_url=fake.base_url)
    ask_one(room)
    Question.objects.create(session=room.session, participant=room.peer, kind="hint", mode="full", status="withheld",
                            answer="withheld", withheld_answer="```x```", error_summary="NameError: x")  # fmt: skip
    teacher = client(room.teacher)
    everything = teacher.get(f"/api/sessions/{room.session.pk}/assist/questions").json()
    assert everything["count"] == 2 and everything["results"][1]["withheld_answer"] == "```x```"
    only_peer = teacher.get(f"/api/sessions/{room.session.pk}/assist/questions?participant={room.peer.pk}").json()
    assert [q["participant_name"] for q in only_peer["results"]] == ["Bob"]
    hints = teacher.get(f"/api/sessions/{room.session.pk}/assist/questions?kind=hint").json()
    assert hints["count"] == 1
    bad = teacher.get(f"/api/sessions/{room.session.pk}/assist/questions?participant=nope")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    stats = teacher.get(f"/api/sessions/{room.session.pk}/assist/analytics").json()
    assert stats["questions"] == 2 and stats["common_errors"] == [{"error": "NameError: x", "count": 1}]
    assert {s["name"]: s["by_status"] for s in stats["students"]} == {"Ada": {"answered": 1}, "Bob": {"withheld": 1}}


def test_questions_go_with_their_session() -> None:
    room = make_class()
    ask_one(room)
    room.session.delete()
    assert not Question.objects.exists()


def test_the_session_zip_carries_the_ai_log_without_the_key(fake: Any) -> None:
    import io
    import json
    import zipfile

    room = make_class(base_url=fake.base_url)
    ask_one(room)
    answer = client(room.teacher).get(f"/api/sessions/{room.session.pk}/export")
    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))  # type: ignore[arg-type]
    log = json.loads(archive.read("ai-help.json"))
    assert [q["text"] for q in log["questions"]] == ["why?"] and log["policy"]["mode"] == "full"
    for name in archive.namelist():
        assert_no_key(archive.read(name))
