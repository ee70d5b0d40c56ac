"""Joining with a code: signed in or as a guest, never a duplicate, clear refusals, rate limited."""

from __future__ import annotations

import pytest
from django.test import override_settings

from sessions import joincodes
from sessions.models import Document, Participant, SessionState
from tests.sessions.conftest import guest_token, refused, snapshot
from tests.sessions.factories import ClassSessionFactory, GuestParticipantFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

KEY = "browser-key-0123456789abcdef"
JOIN_LIMITS = {"auth_ip": "100/m", "auth_username": "100/m", "join_ip": "3/m"}


def join(client, code: str, **extra):
    return client.post("/api/join", {"code": code, **extra}, format="json")


def test_it_gives_a_guest_a_token_bound_to_its_participant(api, client_for, live_session) -> None:
    response = join(api, live_session.join_code, display_name="  Ada  ", guest_key=KEY)
    assert response.status_code == 201
    body = response.json()
    participant = Participant.objects.get(pk=body["participant"]["id"])
    assert participant.is_guest and participant.user is None and participant.display_name == "Ada"
    assert participant.guest_key != KEY  # only a hash of the browser's key is kept
    me = client_for(body["token"]).get("/api/auth/me").json()
    assert me == {"guest": True, "role": "student", "display_name": "Ada",
                  "participant_id": str(participant.pk), "session_id": str(live_session.pk)}  # fmt: skip
    assert body["session"]["join_code"] == live_session.join_code


def test_it_creates_the_starter_files_once(api, live_session) -> None:
    first = join(api, live_session.join_code, display_name="Ada", guest_key=KEY).json()
    join(api, live_session.join_code, display_name="Ada", guest_key=KEY)
    assert [f["name"] for f in first["files"]] == ["main.py"]
    assert first["files"][0]["content"] == "print('hello')\n"
    assert Document.objects.filter(participant_id=first["participant"]["id"]).count() == 1


def test_it_returns_the_same_participant_for_the_same_guest_token(api, client_for, live_session) -> None:
    first = join(api, live_session.join_code, display_name="Ada").json()
    again = join(client_for(first["token"]), live_session.join_code, display_name="Someone else")
    assert again.status_code == 200
    assert again.json()["participant"]["id"] == first["participant"]["id"]
    assert Participant.objects.count() == 1


def test_it_makes_a_new_guest_without_a_key_or_token(api, live_session) -> None:
    join(api, live_session.join_code, display_name="Ada")
    join(api, live_session.join_code, display_name="Ada")
    assert Participant.objects.filter(session=live_session).count() == 2


def test_it_joins_a_signed_in_student_under_their_name(client_for, student, live_session) -> None:
    response = join(client_for(student), f" {live_session.join_code[:3]}-{live_session.join_code[3:].lower()} ")
    assert response.status_code == 201
    participant = Participant.objects.get()
    assert participant.user == student and not participant.is_guest and participant.display_name == student.name
    assert "token" not in response.json()
    assert join(client_for(student), live_session.join_code, guest_key=KEY).json()["participant"]["id"] == str(
        participant.pk
    )


def test_a_guest_token_of_another_session_joins_as_a_new_guest(api, client_for, live_session) -> None:
    elsewhere = GuestParticipantFactory(session=ClassSessionFactory())
    response = join(client_for(guest_token(elsewhere)), live_session.join_code, display_name="Ada")
    assert response.status_code == 201
    assert response.json()["participant"]["id"] != str(elsewhere.pk)


def test_it_refuses_an_unknown_code(api, live_session) -> None:
    before = snapshot()
    unknown = next(c for c in iter(joincodes.new_code, None) if c != live_session.join_code)
    refused(join(api, unknown, display_name="Ada"), 404, "not_found")
    refused(join(api, "0O1IL0", display_name="Ada"), 400, "invalid")
    refused(join(api, "", display_name="Ada"), 400, "invalid")
    assert snapshot() == before


def test_it_refuses_draft_sessions(api) -> None:
    draft = ClassSessionFactory(state=SessionState.DRAFT, join_code=joincodes.new_code())  # a code, yet not live
    before = snapshot()
    refused(join(api, draft.join_code, display_name="Ada"), 404, "not_found")
    assert not draft.participants.exists()
    assert snapshot() == before
    draft.state = SessionState.LIVE
    draft.save()
    assert join(api, draft.join_code, display_name="Ada").status_code == 201  # the same code, once live


def test_it_explains_an_ended_session(api, client_for, student, live_session) -> None:
    ParticipantFactory(session=live_session, user=student)
    live_session.state = SessionState.ENDED
    live_session.save()
    before = snapshot()
    refused(join(api, live_session.join_code, display_name="Ada"), 409, "session_ended")
    refused(join(client_for(student), live_session.join_code), 409, "session_ended")
    assert snapshot() == before


def test_it_refuses_a_full_session_but_lets_members_back_in(api, client_for, student, live_session) -> None:
    live_session.max_participants = 1
    live_session.save()
    ParticipantFactory(session=live_session, user=student)
    before = snapshot()
    refused(join(api, live_session.join_code, display_name="Ada"), 409, "session_full")
    assert snapshot() == before
    assert join(client_for(student), live_session.join_code).status_code == 200


def test_it_keeps_removed_participants_out(api, client_for, student, live_session) -> None:
    removed = ParticipantFactory(session=live_session, user=student)
    join(api, live_session.join_code, display_name="Ada", guest_key=KEY)
    Participant.objects.update(removed_at=removed.joined_at)
    before = snapshot()
    refused(join(client_for(student), live_session.join_code), 403, "permission_denied")
    refused(join(api, live_session.join_code, display_name="Ada", guest_key=KEY), 403, "permission_denied")
    assert snapshot() == before


def test_it_does_not_let_the_teacher_join_their_own_session(client_for, teacher, live_session) -> None:
    refused(join(client_for(teacher), live_session.join_code), 403, "permission_denied")
    assert not live_session.participants.exists()


@pytest.mark.parametrize("body", [{"display_name": ""}, {"display_name": "   "}, {"display_name": "a\x07b"},
                                  {"display_name": "x" * 81}, {"display_name": "Ada", "guest_key": "short"},
                                  {"display_name": "Ada", "guest_key": "has spaces in it, see?"}])  # fmt: skip
def test_it_refuses_bad_guest_names_and_keys(api, live_session, body) -> None:
    before = snapshot()
    refused(join(api, live_session.join_code, **body), 400, "invalid")
    assert snapshot() == before


@override_settings(RATELIMITS=JOIN_LIMITS)
def test_it_rate_limits_join_attempts_per_ip(api, live_session) -> None:
    for _ in range(3):
        refused(join(api, "ZZZZZZ" if live_session.join_code != "ZZZZZZ" else "YYYYYY"), 404, "not_found")
    blocked = join(api, live_session.join_code, display_name="Ada")
    refused(blocked, 429, "rate_limited")
    assert 1 <= int(blocked["Retry-After"]) <= 60
    assert not live_session.participants.exists()
    other_ip = api.post("/api/join", {"code": live_session.join_code, "display_name": "Bo"}, format="json",
                        REMOTE_ADDR="10.9.9.9")  # fmt: skip
    assert other_ip.status_code == 201


def test_it_announces_a_new_participant_to_the_teachers(api, live_session, django_capture_on_commit_callbacks) -> None:
    from unittest import mock

    with mock.patch("sessions.events._send") as send, django_capture_on_commit_callbacks(execute=True):
        body = join(api, live_session.join_code, display_name="Ada").json()
    (group, event), _ = send.call_args
    assert group.endswith(".teachers")
    assert event["type"] == "participant.joined" and event["participant"]["id"] == body["participant"]["id"]
    with mock.patch("sessions.events._send") as send, django_capture_on_commit_callbacks(execute=True):
        join(api, live_session.join_code, display_name="Ada", guest_key=KEY)
        join(api, live_session.join_code, display_name="Ada", guest_key=KEY)
    assert send.call_count == 1  # the rejoin is not news
