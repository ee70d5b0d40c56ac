"""Every bad input the issue names gets a 4xx in the standard error shape and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from sessions.models import SessionState
from tests.sessions.conftest import refused, snapshot
from tests.sessions.factories import ClassSessionFactory, DocumentFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

TOO_BIG = "x" * (1024 * 1024 + 1)
BAD_NAMES = {
    "slash": "dir/main.py",
    "backslash": "dir\\main.py",
    "dotdot": "..",
    "dotdot inside": "a..py",
    "dot": ".",
    "nul": "main\x00.py",
    "newline": "main\n.py",
    "escape": "main\x1b.py",
    "delete char": "main\x7f.py",
    "bidi override": "evil\u202eyp.exe",
    "zero width": "ma\u200bin.py",
    "too long": "a" * 98 + ".py",
    "empty": "",
    "blank": "   ",
    "space": "my file.py",
    "not ascii": "données.py",
    "dot file": ".env",
    "dash first": "-rf.py",
    "star": "a*.py",
}


@pytest.fixture
def files_url(participant: Any) -> str:
    return f"/api/participants/{participant.pk}/files/"


@pytest.fixture
def main_file(participant: Any) -> Any:
    return DocumentFactory(participant=participant, name="main.py", content="print(1)\n")


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_it_refuses_bad_file_names_everywhere(
    client_for, student, teacher, live_session, participant, main_file, files_url, name
) -> None:
    me, t = client_for(student), client_for(teacher)
    before = snapshot()
    refused(me.post(files_url, {"name": name, "content": "1"}, format="json"), 400, "invalid")
    refused(me.patch(f"{files_url}{main_file.pk}/", {"name": name}, format="json"), 400, "invalid")
    push = {"name": name, "content": "1"}
    refused(t.post(f"/api/sessions/{live_session.pk}/push", push, format="json"), 400, "invalid")
    starter = {"title": "T", "language": "python", "starter_files": [{"name": name, "content": ""}]}
    refused(t.post("/api/sessions/", starter, format="json"), 400, "invalid")
    refused(t.patch(f"/api/sessions/{live_session.pk}/", {"starter_files": starter["starter_files"]}, format="json"),
            400, "invalid")  # fmt: skip
    assert snapshot() == before


def test_it_accepts_a_name_of_exactly_100_characters(client_for, student, files_url) -> None:
    name = "a" * 97 + ".py"
    assert client_for(student).post(files_url, {"name": name}, format="json").status_code == 201


def test_it_refuses_oversized_files_everywhere(
    client_for, student, teacher, live_session, main_file, files_url
) -> None:
    me, t = client_for(student), client_for(teacher)
    before = snapshot()
    refused(me.post(files_url, {"name": "big.py", "content": TOO_BIG}, format="json"), 400, "file_too_large")
    refused(me.patch(f"{files_url}{main_file.pk}/", {"content": TOO_BIG}, format="json"), 400, "file_too_large")
    push = {"name": "big.py", "content": TOO_BIG}
    refused(t.post(f"/api/sessions/{live_session.pk}/push", push, format="json"), 400, "file_too_large")
    starter = {"title": "T", "language": "python", "starter_files": [{"name": "big.py", "content": TOO_BIG}]}
    refused(t.post("/api/sessions/", starter, format="json"), 400, "file_too_large")
    assert snapshot() == before


def test_it_counts_the_size_in_utf8_bytes(client_for, student, files_url) -> None:
    just_over = "é" * (512 * 1024 + 1)  # fewer characters than the limit, more bytes
    refused(client_for(student).post(files_url, {"name": "a.py", "content": just_over}, format="json"),
            400, "file_too_large")  # fmt: skip


def test_it_refuses_duplicate_file_names(client_for, student, participant, main_file, files_url) -> None:
    other = DocumentFactory(participant=participant, name="util.py")
    me = client_for(student)
    before = snapshot()
    refused(me.post(files_url, {"name": "main.py"}, format="json"), 400, "invalid")
    response = me.patch(f"{files_url}{other.pk}/", {"name": "main.py", "content": "changed"}, format="json")
    refused(response, 400, "invalid")
    assert "name" in response.json()["error"]["details"]
    starter = [{"name": "a.py", "content": ""}, {"name": "a.py", "content": "2"}]
    refused(client_for(participant.session.teacher).post(
        "/api/sessions/", {"title": "T", "language": "python", "starter_files": starter}, format="json"
    ), 400, "invalid")  # fmt: skip
    assert snapshot() == before


def test_it_reuses_the_name_of_a_deleted_file(client_for, student, main_file, files_url) -> None:
    me = client_for(student)
    assert me.delete(f"{files_url}{main_file.pk}/").status_code == 204
    assert me.post(files_url, {"name": "main.py"}, format="json").status_code == 201


@override_settings(CLASSROOM={"IDLE_SESSION_HOURS": 12, "GUEST_RETENTION_DAYS": 30, "MAX_FILES_PER_PARTICIPANT": 2})
def test_it_caps_the_number_of_files(client_for, student, main_file, files_url) -> None:
    me = client_for(student)
    assert me.post(files_url, {"name": "two.py"}, format="json").status_code == 201
    before = snapshot()
    refused(me.post(files_url, {"name": "three.py"}, format="json"), 400, "invalid")
    assert snapshot() == before


@pytest.mark.parametrize("language", ["cobol", "", "PYTHON3", None])
def test_it_refuses_unsupported_languages(client_for, teacher, live_session, language) -> None:
    t = client_for(teacher)
    before = snapshot()
    refused(t.post("/api/sessions/", {"title": "T", "language": language}, format="json"), 400, "invalid")
    refused(t.patch(f"/api/sessions/{live_session.pk}/", {"language": language}, format="json"), 400, "invalid")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [{}, {"title": "", "language": "python"}, {"title": "T" * 201, "language": "python"},
     {"title": "T", "language": "python", "max_participants": 0},
     {"title": "T", "language": "python", "starter_files": "main.py"},
     {"title": "T", "language": "python", "teacher_can_edit": "maybe"}],
)  # fmt: skip
def test_it_refuses_malformed_session_fields(client_for, teacher, body) -> None:
    before = snapshot()
    refused(client_for(teacher).post("/api/sessions/", body, format="json"), 400, "invalid")
    assert snapshot() == before


def test_it_refuses_lowering_max_participants_below_those_present(client_for, teacher, live_session, participant):
    ParticipantFactory(session=live_session)
    before = snapshot()
    response = client_for(teacher).patch(f"/api/sessions/{live_session.pk}/", {"max_participants": 1}, format="json")
    refused(response, 400, "invalid")
    assert snapshot() == before


ENDPOINTS_WITH_BODIES = [
    ("teacher", "post", "/api/sessions/"),
    ("teacher", "patch", "/api/sessions/{s}/"),
    ("teacher", "post", "/api/sessions/{s}/push"),
    ("anonymous", "post", "/api/join"),
    ("student", "post", "/api/participants/{p}/files/"),
    ("student", "patch", "/api/participants/{p}/files/{d}/"),
    ("student", "post", "/api/participants/{p}/help"),
]


@pytest.mark.parametrize(("who", "method", "template"), ENDPOINTS_WITH_BODIES)
@pytest.mark.parametrize("raw", ['{"name": "main.py",', "not json", "[1, 2", '{"content": "\\ud800"'])
def test_it_refuses_malformed_json(
    api, client_for, teacher, student, live_session, participant, main_file, who, method, template, raw
) -> None:
    client = {"teacher": client_for(teacher), "student": client_for(student), "anonymous": api}[who]
    url = template.format(s=live_session.pk, p=participant.pk, d=main_file.pk)
    before = snapshot()
    response = getattr(client, method)(url, raw, content_type="application/json")
    refused(response, 400, "parse_error")
    assert snapshot() == before


@pytest.mark.parametrize(("who", "method", "template"), ENDPOINTS_WITH_BODIES)
def test_it_refuses_json_that_is_not_an_object(
    api, client_for, teacher, student, live_session, participant, main_file, who, method, template
) -> None:
    client = {"teacher": client_for(teacher), "student": client_for(student), "anonymous": api}[who]
    url = template.format(s=live_session.pk, p=participant.pk, d=main_file.pk)
    before = snapshot()
    response = getattr(client, method)(url, "[1, 2]", content_type="application/json")
    assert 400 <= response.status_code < 500 and set(response.json()) == {"error"}
    assert snapshot() == before


def test_it_refuses_an_empty_file_update(client_for, student, main_file, files_url) -> None:
    refused(client_for(student).patch(f"{files_url}{main_file.pk}/", {}, format="json"), 400, "invalid")


def test_it_refuses_help_about_someone_elses_file_or_a_bad_line(client_for, student, participant, files_url) -> None:
    foreign = DocumentFactory(participant=ParticipantFactory(session=participant.session))
    me = client_for(student)
    before = snapshot()
    url = f"/api/participants/{participant.pk}/help"
    refused(me.post(url, {"file_id": str(foreign.pk)}, format="json"), 400, "invalid")
    refused(me.post(url, {"line": 0}, format="json"), 400, "invalid")
    refused(me.post(url, {"message": "m" * 2001}, format="json"), 400, "invalid")
    assert snapshot() == before


def test_it_refuses_a_push_to_a_student_of_another_session(client_for, teacher, live_session) -> None:
    stranger = ParticipantFactory(session=ClassSessionFactory(teacher=teacher))
    before = snapshot()
    body = {"name": "a.py", "content": "1", "participant_id": str(stranger.pk)}
    refused(client_for(teacher).post(f"/api/sessions/{live_session.pk}/push", body, format="json"), 400, "invalid")
    assert snapshot() == before


def test_it_refuses_writes_and_pushes_once_the_session_ended(
    client_for, student, teacher, live_session, main_file, files_url
) -> None:
    live_session.state = SessionState.ENDED
    live_session.save()
    me, t = client_for(student), client_for(teacher)
    before = snapshot()
    refused(me.post(files_url, {"name": "new.py"}, format="json"), 409, "session_ended")
    refused(me.patch(f"{files_url}{main_file.pk}/", {"name": "x.py"}, format="json"), 409, "session_ended")
    refused(me.delete(f"{files_url}{main_file.pk}/"), 409, "session_ended")
    refused(me.post(f"/api/participants/{main_file.participant_id}/help", {}, format="json"), 409, "session_ended")
    refused(t.patch(f"{files_url}{main_file.pk}/", {"content": "x"}, format="json"), 409, "session_ended")
    refused(t.post(f"/api/sessions/{live_session.pk}/push", {"name": "a.py", "content": ""}, format="json"),
            409, "session_ended")  # fmt: skip
    assert snapshot() == before
    assert me.get(f"{files_url}{main_file.pk}/").status_code == 200  # still readable


# A number, boolean, list or object where the contract says string: 400 `invalid`, never
# coerced into text ("123") and stored or delivered.
NOT_STRINGS = {"number": 123, "float": 1.5, "boolean": True, "list": ["a.py"], "object": {"a": 1}}


@pytest.mark.parametrize("value", list(NOT_STRINGS.values()), ids=list(NOT_STRINGS))
def test_it_refuses_what_is_not_a_string_where_a_string_is_expected(
    client_for, student, teacher, live_session, participant, main_file, files_url, value
) -> None:
    me, t = client_for(student), client_for(teacher)
    before = snapshot()
    for request in [
        lambda: me.post(files_url, {"name": value, "content": "1"}, format="json"),
        lambda: me.post(files_url, {"name": "new.py", "content": value}, format="json"),
        lambda: me.patch(f"{files_url}{main_file.pk}/", {"name": value}, format="json"),
        lambda: me.patch(f"{files_url}{main_file.pk}/", {"content": value}, format="json"),
        lambda: t.post(f"/api/sessions/{live_session.pk}/push", {"name": value, "content": "1"}, format="json"),
        lambda: t.post(f"/api/sessions/{live_session.pk}/push", {"name": "a.py", "content": value}, format="json"),
        lambda: t.post(f"/api/sessions/{live_session.pk}/push",
                       {"name": "a.py", "content": "1", "participant_id": value}, format="json"),
        lambda: t.post("/api/sessions/", {"title": value, "language": "python"}, format="json"),
        lambda: t.post("/api/sessions/", {"title": "T", "language": "python", "instructions": value}, format="json"),
        lambda: t.post("/api/sessions/", {"title": "T", "language": value}, format="json"),
        lambda: t.post("/api/sessions/", {"title": "T", "language": "python",
                                          "starter_files": [{"name": "a.py", "content": value}]}, format="json"),
        lambda: t.patch(f"/api/sessions/{live_session.pk}/", {"title": value}, format="json"),
        lambda: me.post(f"/api/participants/{participant.pk}/help", {"message": value}, format="json"),
        lambda: me.post(f"/api/participants/{participant.pk}/help", {"file_id": value}, format="json"),
    ]:
        response = request()
        refused(response, 400, "invalid")
    assert snapshot() == before


def test_a_push_of_a_number_reaches_nobody(client_for, teacher, live_session, participant) -> None:
    response = client_for(teacher).post(f"/api/sessions/{live_session.pk}/push", {"name": "a.py", "content": 5},
                                        format="json")
    refused(response, 400, "invalid")
    assert "content" in response.json()["error"]["details"]
    assert not participant.documents.filter(name="a.py").exists()
