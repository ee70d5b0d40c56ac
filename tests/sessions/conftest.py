"""Fixtures of the sessions suites: a live session with a student and a guest, and clients for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tokens import GuestToken
from sessions.models import ClassSession, Document, HelpRequest, Participant
from tests.sessions.factories import ClassSessionFactory, GuestParticipantFactory, ParticipantFactory


def refused(response: Any, status: int, code: str) -> None:
    """The response is an error of this status and code in the standard shape."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def snapshot() -> dict[str, list[Any]]:
    """Everything a refused request must leave alone."""
    return {
        "sessions": list(ClassSession.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "documents": list(Document.objects.order_by("pk").values("pk", "name", "content", "deleted_at", "modified")),
        "help": list(HelpRequest.objects.order_by("pk").values()),
    }


def logged_edit(document: Document, text: str, *, by: Participant | None = None, snapshot: bool = False) -> None:
    """What the live layer writes for a burst of typing that makes `document` read `text`:
    the update in the log (authored by `by`), and a snapshot only if `snapshot`, with the
    `modified` flag left alone (as another process's hub, which only relays, leaves it)."""
    from django.utils import timezone

    from sessions.live import store, ydoc

    doc = ydoc.new_doc(store.load(document.pk).state)
    before = doc.get_state()
    ydoc.edit_to(doc, text)
    entry = store.LogEntry(update=doc.get_update(before), at=timezone.now(),
                           author_participant_id=by.pk if by is not None else None, inserted=len(text))  # fmt: skip
    snapshots = [store.SnapshotRequest(document.pk, doc.get_update())] if snapshot else []
    store.flush(entries={document.pk: [entry]}, snapshots=snapshots)


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
