"""Session lifecycle: draft, live with a join code, ended, reopened; settings changes."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest

from monitoring.models import AuditEvent
from sessions import joincodes
from sessions.models import ClassSession, SessionState
from tests.sessions.conftest import refused
from tests.sessions.factories import ClassSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(teacher):
    return ClassSessionFactory(teacher=teacher, state=SessionState.DRAFT, join_code="", started_at=None)


def test_it_creates_a_draft_with_defaults(client_for, teacher) -> None:
    body = client_for(teacher).post("/api/sessions/", {"title": "Intro", "language": "python"}, format="json").json()
    assert body["state"] == "draft" and body["join_code"] is None and body["started_at"] is None
    assert body["max_participants"] == 100 and body["teacher_can_edit"] is True
    assert body["students_see_each_other"] is False and body["starter_files"] == [] and body["participant_count"] == 0
    assert body["teacher"] == {"id": str(teacher.pk), "display_name": teacher.name}


def test_it_issues_an_unambiguous_code_on_start(client_for, teacher, draft) -> None:
    body = client_for(teacher).post(f"/api/sessions/{draft.pk}/start").json()
    assert body["state"] == "live" and body["started_at"]
    assert joincodes.is_well_formed(body["join_code"])
    assert not set(body["join_code"]) & set("0O1IL")


def test_it_starts_only_once(client_for, teacher, draft) -> None:
    t = client_for(teacher)
    first = t.post(f"/api/sessions/{draft.pk}/start").json()
    assert t.post(f"/api/sessions/{draft.pk}/start").json()["join_code"] == first["join_code"]


def test_it_draws_again_when_a_code_is_taken_by_a_live_session(client_for, teacher, draft) -> None:
    taken = ClassSessionFactory(join_code="AAAAAA")
    with mock.patch("sessions.joincodes.new_code", side_effect=["AAAAAA", "AAAAAA", "BBBBBB"]):
        body = client_for(teacher).post(f"/api/sessions/{draft.pk}/start").json()
    assert body["join_code"] == "BBBBBB"
    assert ClassSession.objects.get(pk=taken.pk).join_code == "AAAAAA"


def test_it_may_reuse_the_code_of_an_ended_session(client_for, teacher, draft) -> None:
    ClassSessionFactory(join_code="AAAAAA", state=SessionState.ENDED)
    with mock.patch("sessions.joincodes.new_code", return_value="AAAAAA"):
        assert client_for(teacher).post(f"/api/sessions/{draft.pk}/start").json()["join_code"] == "AAAAAA"


def test_it_ends_and_records_who_ended_it(client_for, teacher, live_session, django_capture_on_commit_callbacks):
    with mock.patch("sessions.events._send") as send, django_capture_on_commit_callbacks(execute=True):
        body = client_for(teacher).post(f"/api/sessions/{live_session.pk}/end").json()
    assert body["state"] == "ended" and body["ended_at"] and body["join_code"] is None
    event = AuditEvent.objects.get(action="session.ended")
    assert event.actor == teacher and event.target_id == str(live_session.pk)
    (group, payload), _ = send.call_args
    assert group.endswith(".all") and payload["type"] == "session.updated"
    assert payload["session"]["state"] == "ended"
    # Ending twice is harmless and not audited twice.
    assert client_for(teacher).post(f"/api/sessions/{live_session.pk}/end").status_code == 200
    assert AuditEvent.objects.filter(action="session.ended").count() == 1


def test_it_reopens_with_the_old_code_when_free(client_for, teacher, live_session) -> None:
    t = client_for(teacher)
    t.post(f"/api/sessions/{live_session.pk}/end")
    body = t.post(f"/api/sessions/{live_session.pk}/reopen").json()
    assert body["state"] == "live" and body["join_code"] == live_session.join_code and body["ended_at"] is None


def test_it_reopens_with_a_new_code_when_the_old_one_was_taken(client_for, teacher, live_session) -> None:
    t = client_for(teacher)
    t.post(f"/api/sessions/{live_session.pk}/end")
    ClassSessionFactory(join_code=live_session.join_code)
    body = t.post(f"/api/sessions/{live_session.pk}/reopen").json()
    assert body["state"] == "live" and joincodes.is_well_formed(body["join_code"])
    assert body["join_code"] != live_session.join_code


def test_it_refuses_impossible_transitions(client_for, teacher, draft, live_session) -> None:
    t = client_for(teacher)
    refused(t.post(f"/api/sessions/{draft.pk}/reopen"), 409, "conflict")
    t.post(f"/api/sessions/{live_session.pk}/end")
    refused(t.post(f"/api/sessions/{live_session.pk}/start"), 409, "conflict")


def test_it_changes_settings_and_tells_the_class(client_for, teacher, live_session, django_capture_on_commit_callbacks):
    change = {"title": "Loops II", "students_see_each_other": True, "language": "javascript",
              "starter_files": [{"name": "main.js", "content": "console.log(1)\n"}]}  # fmt: skip
    with mock.patch("sessions.events._send") as send, django_capture_on_commit_callbacks(execute=True):
        body = client_for(teacher).patch(f"/api/sessions/{live_session.pk}/", change, format="json").json()
    assert body["title"] == "Loops II" and body["language"] == "javascript" and body["students_see_each_other"]
    assert body["starter_files"] == change["starter_files"]
    assert body["join_code"] == live_session.join_code
    assert send.call_args[0][1]["type"] == "session.updated"


def test_an_admin_may_change_any_session(client_for, admin_user, live_session) -> None:
    response = client_for(admin_user).patch(f"/api/sessions/{live_session.pk}/", {"title": "Fixed"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Fixed"


def test_it_lists_sessions_newest_first_with_participant_counts(
    client_for, teacher, live_session, participant, django_assert_max_num_queries
) -> None:
    newer = ClassSessionFactory(teacher=teacher)
    ClassSession.objects.filter(pk=newer.pk).update(created_at=live_session.created_at + timedelta(seconds=1))
    t = client_for(teacher)
    with django_assert_max_num_queries(3):  # the user, the count, the page
        body = t.get("/api/sessions/").json()["results"]
    assert [s["id"] for s in body] == [str(newer.pk), str(live_session.pk)]
    assert body[1]["participant_count"] == 1
