"""Join rate limits: a class behind one school NAT joins freely; guessing codes is refused."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from sessions import joincodes
from sessions.models import Participant, SessionState
from tests.sessions.conftest import refused
from tests.sessions.factories import ClassSessionFactory

pytestmark = pytest.mark.django_db


def join(client, code: str, ip: str = "127.0.0.1", **extra):
    return client.post("/api/join", {"code": code, **extra}, format="json", REMOTE_ADDR=ip)


def wrong_code(*taken: str) -> str:
    return next(c for c in iter(joincodes.new_code, None) if c not in taken)


def test_the_default_limits_are_the_ones_these_tests_assume() -> None:
    assert settings.RATELIMIT_ENABLE
    assert settings.RATELIMITS["join_ip"] == "10/m"


def test_it_lets_thirty_students_join_and_rejoin_from_one_ip(api, live_session) -> None:
    for n in range(30):
        key = f"browser-key-of-student-{n:04d}"
        assert join(api, live_session.join_code, display_name=f"S{n}", guest_key=key).status_code == 201
        assert join(api, live_session.join_code, display_name=f"S{n}", guest_key=key).status_code == 200
    assert Participant.objects.filter(session=live_session).count() == 30


def test_it_refuses_the_eleventh_wrong_code_from_one_ip(api, live_session) -> None:
    for _ in range(10):
        refused(join(api, wrong_code(live_session.join_code), display_name="Eve"), 404, "not_found")
    blocked = join(api, wrong_code(live_session.join_code), display_name="Eve")
    refused(blocked, 429, "rate_limited")
    assert 1 <= int(blocked["Retry-After"]) <= 60
    assert blocked.json()["error"]["details"]["retry_after"] == int(blocked["Retry-After"])
    # even the right code: a guesser cannot tell a hit from a miss once locked out
    refused(join(api, live_session.join_code, display_name="Eve"), 429, "rate_limited")
    assert not live_session.participants.exists()
    other_ip = join(api, live_session.join_code, display_name="Bo", ip="10.9.9.9")
    assert other_ip.status_code == 201


@override_settings(RATELIMITS={**settings.RATELIMITS, "join_ip": "4/m"})
def test_it_counts_every_kind_of_failed_join(api, client_for, teacher, live_session) -> None:
    ended = ClassSessionFactory(state=SessionState.ENDED)
    full = ClassSessionFactory(max_participants=0)
    refused(join(api, "0O1IL0", display_name="Eve"), 400, "invalid")
    refused(join(api, ended.join_code, display_name="Eve"), 409, "session_ended")
    refused(join(api, full.join_code, display_name="Eve"), 409, "session_full")
    # a valid code with a bad name must count too, or it would be a free oracle for codes
    refused(join(api, live_session.join_code, display_name=""), 400, "invalid")
    refused(join(api, live_session.join_code, display_name="Eve"), 429, "rate_limited")


@override_settings(RATELIMITS={**settings.RATELIMITS, "join_ip": "2/m"})
def test_successful_joins_do_not_use_up_the_failure_limit(api, live_session) -> None:
    refused(join(api, wrong_code(live_session.join_code), display_name="Eve"), 404, "not_found")
    for n in range(5):
        assert join(api, live_session.join_code, display_name=f"S{n}").status_code == 201
    refused(join(api, wrong_code(live_session.join_code), display_name="Eve"), 404, "not_found")
    refused(join(api, wrong_code(live_session.join_code), display_name="Eve"), 429, "rate_limited")


@override_settings(RATELIMITS={**settings.RATELIMITS, "join_any_ip": "3/m"})
def test_it_still_has_a_ceiling_for_successful_joins(api, live_session) -> None:
    for n in range(3):
        assert join(api, live_session.join_code, display_name=f"S{n}").status_code == 201
    refused(join(api, live_session.join_code, display_name="S3"), 429, "rate_limited")
    assert live_session.participants.count() == 3


@override_settings(RATELIMIT_ENABLE=False)
def test_it_counts_nothing_when_rate_limits_are_off(api, live_session) -> None:
    for _ in range(12):
        refused(join(api, wrong_code(live_session.join_code), display_name="Eve"), 404, "not_found")
    assert join(api, live_session.join_code, display_name="Ada").status_code == 201
