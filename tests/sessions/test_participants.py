"""Participants: the teacher's status list, one participant, removal, and resuming the current session."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from coding.models import Execution
from monitoring.models import AuditEvent
from sessions.models import HelpState, SessionState
from tests.sessions.conftest import guest_token, refused
from tests.sessions.factories import (
    ClassSessionFactory,
    DocumentFactory,
    ExecutionFactory,
    GuestParticipantFactory,
    HelpRequestFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.django_db


def test_it_lists_status_in_joining_order(client_for, teacher, live_session, participant, guest) -> None:
    for minutes, status in [(3, "ok"), (2, "compile-error"), (1, "rejected")]:  # rejected: refused, not a run
        run = ExecutionFactory(participant=participant, status=status)
        Execution.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))
    type(guest).objects.filter(pk=guest.pk).update(connections=2, last_activity_at=timezone.now())
    ParticipantFactory(session=live_session, removed_at=timezone.now())
    type(guest).objects.filter(pk=guest.pk).update(joined_at=participant.joined_at + timedelta(seconds=1))
    body = client_for(teacher).get(f"/api/sessions/{live_session.pk}/participants/").json()
    assert [p["id"] for p in body] == [str(participant.pk), str(guest.pk)]
    mine, theirs = body
    assert set(mine) == {"id", "display_name", "is_guest", "online", "joined_at", "last_activity_at",
                         "last_run_status", "open_help_request", "removed"}  # fmt: skip
    assert mine["last_run_status"] == "compile-error" and mine["online"] is False and mine["is_guest"] is False
    assert theirs["online"] is True and theirs["last_run_status"] is None and theirs["is_guest"] is True
    assert theirs["last_activity_at"] is not None and mine["removed"] is False


def test_the_status_list_is_a_bounded_number_of_queries(
    client_for, teacher, live_session, django_assert_max_num_queries
) -> None:
    for n in range(30):
        student = GuestParticipantFactory(session=live_session)
        ExecutionFactory(participant=student, status="ok")
        if n % 3 == 0:
            HelpRequestFactory(participant=student)
    t = client_for(teacher)
    with django_assert_max_num_queries(4):
        body = t.get(f"/api/sessions/{live_session.pk}/participants/").json()
    assert len(body) == 30 and sum(1 for p in body if p["open_help_request"]) == 10


def test_it_shows_a_participant_with_its_session(client_for, student, participant) -> None:
    body = client_for(student).get(f"/api/participants/{participant.pk}/").json()
    assert body["id"] == str(participant.pk) and body["session"]["id"] == str(participant.session_id)
    assert body["session"]["participant_count"] == 1


def test_removing_a_participant(client_for, teacher, live_session, guest, django_capture_on_commit_callbacks):
    help_request = HelpRequestFactory(participant=guest)
    DocumentFactory(participant=guest, name="kept.py")
    guest_client = client_for(guest_token(guest))
    assert guest_client.get(f"/api/participants/{guest.pk}/files/").status_code == 200
    with mock.patch("sessions.events._send") as send, django_capture_on_commit_callbacks(execute=True):
        response = client_for(teacher).delete(f"/api/sessions/{live_session.pk}/participants/{guest.pk}/")
    assert response.status_code == 204
    # Their guest token stops working; their open request is withdrawn; their files stay.
    refused(guest_client.get(f"/api/participants/{guest.pk}/files/"), 401, "authentication_failed")
    help_request.refresh_from_db()
    assert help_request.state == HelpState.CANCELLED
    files = client_for(teacher).get(f"/api/participants/{guest.pk}/files/").json()
    assert [f["name"] for f in files] == ["kept.py"]
    assert client_for(teacher).get(f"/api/sessions/{live_session.pk}/participants/").json() == []
    audit = AuditEvent.objects.get(action="participant.removed")
    assert audit.actor == teacher and audit.target_id == str(guest.pk)
    removed = [(g, e) for (g, e), _ in send.call_args_list if e["type"] == "participant.removed"]
    assert {g for g, _ in removed} == {f"session.{live_session.pk.hex}.teachers", f"participant.{guest.pk.hex}"}
    assert removed[0][1]["participant"]["removed"] is True
    # Removing twice is harmless.
    assert client_for(teacher).delete(f"/api/sessions/{live_session.pk}/participants/{guest.pk}/").status_code == 204
    assert AuditEvent.objects.filter(action="participant.removed").count() == 1


def test_a_removed_student_loses_access(client_for, teacher, student, live_session, participant) -> None:
    client_for(teacher).delete(f"/api/sessions/{live_session.pk}/participants/{participant.pk}/")
    me = client_for(student)
    refused(me.get(f"/api/participants/{participant.pk}/files/"), 404, "not_found")
    refused(me.get("/api/sessions/current"), 404, "not_found")


def test_it_refuses_removing_a_participant_of_another_session(client_for, teacher, live_session) -> None:
    elsewhere = ParticipantFactory(session=ClassSessionFactory(teacher=teacher))
    refused(client_for(teacher).delete(f"/api/sessions/{live_session.pk}/participants/{elsewhere.pk}/"),
            404, "not_found")  # fmt: skip
    elsewhere.refresh_from_db()
    assert elsewhere.removed_at is None


def test_current_prefers_a_live_session_then_the_latest(client_for, student) -> None:
    ended = ParticipantFactory(user=student, session=ClassSessionFactory(state=SessionState.ENDED))
    type(ended).objects.filter(pk=ended.pk).update(joined_at=timezone.now() - timedelta(days=1))
    live = ParticipantFactory(user=student)
    DocumentFactory(participant=live, name="main.py")
    body = client_for(student).get("/api/sessions/current").json()
    assert body["participant"]["id"] == str(live.pk) and [f["name"] for f in body["files"]] == ["main.py"]
    live.session.state = SessionState.ENDED
    live.session.save()
    assert client_for(student).get("/api/sessions/current").json()["participant"]["id"] == str(live.pk)
    type(live).objects.filter(pk=live.pk).update(joined_at=timezone.now() - timedelta(days=2))
    assert client_for(student).get("/api/sessions/current").json()["participant"]["id"] == str(ended.pk)


def test_a_guest_resumes_after_the_session_ended(as_guest, guest, live_session) -> None:
    live_session.state = SessionState.ENDED
    live_session.save()
    body = as_guest(guest).get("/api/sessions/current").json()
    assert body["session"]["state"] == "ended" and body["participant"]["id"] == str(guest.pk)


def test_peers_see_a_raised_hand_but_not_what_it_says(
    client_for, teacher, student, admin_user, live_session, participant
) -> None:
    live_session.students_see_each_other = True
    live_session.save()
    peer = ParticipantFactory(session=live_session)
    HelpRequestFactory(participant=peer, message="I copied this from Sam, is that ok?")
    HelpRequestFactory(participant=participant, message="my own question")
    url = f"/api/sessions/{live_session.pk}/participants/"

    def messages(client) -> dict[str, str]:
        return {p["id"]: p["open_help_request"]["message"] for p in client.get(url).json()}

    assert messages(client_for(student)) == {str(participant.pk): "my own question", str(peer.pk): ""}
    assert messages(client_for(teacher)) == {str(participant.pk): "my own question",
                                             str(peer.pk): "I copied this from Sam, is that ok?"}  # fmt: skip
    assert messages(client_for(admin_user))[str(peer.pk)] == "I copied this from Sam, is that ok?"
