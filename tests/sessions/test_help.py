"""Help requests: raised with context, at most one open, queued oldest first,
claimed, resolved or cancelled, and announced."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from coding.models import Execution
from sessions.models import HelpRequest, HelpState
from tests.sessions.conftest import refused
from tests.sessions.factories import DocumentFactory, ExecutionFactory, HelpRequestFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def raise_hand(client, participant, **body):
    return client.post(f"/api/participants/{participant.pk}/help", body, format="json")


def test_it_captures_the_file_the_line_and_the_last_output(client_for, student, participant) -> None:
    document = DocumentFactory(participant=participant, name="main.py")
    old = ExecutionFactory(participant=participant, output_tail="old output")
    latest = ExecutionFactory(participant=participant, status="runtime-error", output_tail="x" * 5000 + "END")
    Execution.objects.filter(pk=old.pk).update(created_at=latest.created_at - timedelta(seconds=1))
    response = raise_hand(client_for(student), participant, message="It crashes", file_id=str(document.pk), line=7)
    assert response.status_code == 201
    body = response.json()
    assert body["file_name"] == "main.py" and body["file_id"] == str(document.pk) and body["line"] == 7
    assert body["last_output"].endswith("END") and len(body["last_output"]) == 4000
    assert body["state"] == "open" and body["claimed_by"] is None and body["message"] == "It crashes"
    assert body["participant_id"] == str(participant.pk) and body["display_name"] == participant.display_name
    assert latest.output_tail.endswith(body["last_output"])


def test_a_hand_without_context_is_fine(client_for, student, participant) -> None:
    body = raise_hand(client_for(student), participant).json()
    assert body["file_name"] == "" and body["line"] is None and body["last_output"] == ""


def test_a_student_has_at_most_one_open_request(client_for, student, participant) -> None:
    me = client_for(student)
    first = raise_hand(me, participant).json()
    refused(raise_hand(me, participant), 409, "conflict")
    HelpRequest.objects.filter(pk=first["id"]).update(state=HelpState.CLAIMED)
    refused(raise_hand(me, participant), 409, "conflict")
    assert me.post(f"/api/help/{first['id']}/cancel").json()["state"] == "cancelled"
    assert raise_hand(me, participant).status_code == 201
    assert HelpRequest.objects.filter(participant=participant).count() == 2


def test_the_queue_is_oldest_first_and_filtered_by_state(client_for, teacher, live_session) -> None:
    now = timezone.now()
    made = []
    for minutes, state in [(3, "open"), (1, "claimed"), (2, "open"), (4, "resolved"), (5, "cancelled")]:
        help_request = HelpRequestFactory(participant=ParticipantFactory(session=live_session), state=state)
        HelpRequest.objects.filter(pk=help_request.pk).update(created_at=now - timedelta(minutes=minutes))
        made.append(help_request)
    t = client_for(teacher)
    queue = [h["id"] for h in t.get(f"/api/sessions/{live_session.pk}/help/").json()]
    assert queue == [str(made[0].pk), str(made[2].pk), str(made[1].pk)]
    resolved = t.get(f"/api/sessions/{live_session.pk}/help/", {"state": "resolved"}).json()
    assert [h["id"] for h in resolved] == [str(made[3].pk)]
    refused(t.get(f"/api/sessions/{live_session.pk}/help/", {"state": "lost"}), 400, "invalid")


def test_claim_then_resolve(client_for, teacher, participant) -> None:
    help_request = HelpRequestFactory(participant=participant)
    t = client_for(teacher)
    claimed = t.post(f"/api/help/{help_request.pk}/claim").json()
    assert claimed["state"] == "claimed" and claimed["claimed_at"]
    assert claimed["claimed_by"] == {"id": str(teacher.pk), "display_name": teacher.name}
    assert t.post(f"/api/help/{help_request.pk}/claim").status_code == 200  # a double click
    resolved = t.post(f"/api/help/{help_request.pk}/resolve").json()
    assert resolved["state"] == "resolved" and resolved["resolved_at"]
    refused(t.post(f"/api/help/{help_request.pk}/claim"), 409, "conflict")
    refused(t.post(f"/api/help/{help_request.pk}/resolve"), 409, "conflict")
    refused(client_for(participant.user).post(f"/api/help/{help_request.pk}/cancel"), 409, "conflict")


def test_resolving_an_unclaimed_request_records_who_helped(client_for, teacher, participant) -> None:
    help_request = HelpRequestFactory(participant=participant)
    body = client_for(teacher).post(f"/api/help/{help_request.pk}/resolve").json()
    assert body["state"] == "resolved" and body["claimed_by"]["id"] == str(teacher.pk)


def test_the_participant_status_shows_the_open_request(client_for, teacher, student, participant) -> None:
    raised = raise_hand(client_for(student), participant, message="help").json()
    status = client_for(teacher).get(f"/api/sessions/{participant.session_id}/participants/").json()[0]
    assert status["open_help_request"] == {
        "id": raised["id"], "state": "open", "message": "help", "created_at": raised["created_at"],
    }  # fmt: skip


def test_every_change_is_announced(client_for, teacher, student, participant,
                                   django_capture_on_commit_callbacks) -> None:  # fmt: skip
    teachers, mine = f"session.{participant.session_id.hex}.teachers", f"participant.{participant.pk.hex}"
    with mock.patch("sessions.events._send") as send, django_capture_on_commit_callbacks(execute=True):
        raised = raise_hand(client_for(student), participant).json()
        client_for(teacher).post(f"/api/help/{raised['id']}/claim")
        client_for(teacher).post(f"/api/help/{raised['id']}/resolve")
        again = raise_hand(client_for(student), participant).json()
        client_for(student).post(f"/api/help/{again['id']}/cancel")
    sent = [(group, event["type"]) for (group, event), _ in send.call_args_list]
    assert [t for g, t in sent if g == teachers] == ["help.raised", "help.claimed", "help.resolved", "help.raised",
                                                     "help.cancelled"]  # fmt: skip
    assert [t for g, t in sent if g == mine] == ["help.updated"] * 5
    assert all(event["help_request"]["id"] for (_, event), _ in send.call_args_list)


def test_the_queue_is_a_bounded_number_of_queries(client_for, teacher, live_session,
                                                   django_assert_max_num_queries) -> None:  # fmt: skip
    for _ in range(15):
        HelpRequestFactory(participant=ParticipantFactory(session=live_session), claimed_by=teacher, state="claimed")
    t = client_for(teacher)
    with django_assert_max_num_queries(3):
        assert len(t.get(f"/api/sessions/{live_session.pk}/help/").json()) == 15
