"""Fixtures of the sessions suites: a live session with a student and a guest, and clients for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tokens import GuestToken
from sessions.models import Participant
from tests.sessions.factories import ClassSessionFactory, GuestParticipantFactory, ParticipantFactory


def guest_token(participant: Participant) -> str:
    return str(
        GuestToken.for_participant(
            participant_id=str(participant.pk),
            session_id=str(participant.session_id),
            display_name=participant.display_name,
        )
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs ~1 s per user on a busy machine; these suites make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def as_guest(client_for: Callable[[Any], APIClient]) -> Callable[[Participant], APIClient]:
    """An APIClient carrying the guest token of a guest participant."""
    return lambda participant: client_for(guest_token(participant))


@pytest.fixture
def live_session(teacher: Any) -> Any:
    return ClassSessionFactory(teacher=teacher)


@pytest.fixture
def participant(live_session: Any, student: Any) -> Participant:
    return ParticipantFactory(session=live_session, user=student)


@pytest.fixture
def guest(live_session: Any) -> Participant:
    return GuestParticipantFactory(session=live_session)
