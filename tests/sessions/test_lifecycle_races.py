"""Starting, ending and reopening lock the session row and read it fresh: two requests
at once (a double click, two tabs) act once, and a code once given stays valid."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db.models import QuerySet

from monitoring.models import AuditEvent
from observer.errors import Conflict
from sessions import services
from sessions.models import ClassSession, SessionState
from tests.sessions.factories import ClassSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(teacher):
    return ClassSessionFactory(teacher=teacher, state=SessionState.DRAFT, join_code="", started_at=None)


def two_copies(session: ClassSession) -> tuple[ClassSession, ClassSession]:
    """What two parallel requests hold: each its own object, read before either acted."""
    return ClassSession.objects.get(pk=session.pk), ClassSession.objects.get(pk=session.pk)


def test_two_starts_at_once_give_one_code(draft) -> None:
    first, second = two_copies(draft)
    started = services.session_start(session=first)
    again = services.session_start(session=second)  # still a draft in memory
    assert again.join_code == started.join_code
    assert ClassSession.objects.get(pk=draft.pk).join_code == started.join_code


def test_starting_a_live_session_returns_its_code(client_for, teacher, live_session) -> None:
    code = live_session.join_code
    body = client_for(teacher).post(f"/api/sessions/{live_session.pk}/start").json()
    assert body["state"] == "live" and body["join_code"] == code


def test_a_start_after_an_end_elsewhere_is_refused(live_session) -> None:
    first, second = two_copies(live_session)
    services.session_end(session=first)
    with pytest.raises(Conflict, match="ended"):
        services.session_start(session=second)  # live in memory, ended in the database


def test_two_ends_at_once_are_audited_once(live_session) -> None:
    first, second = two_copies(live_session)
    services.session_end(session=first)
    services.session_end(session=second)
    assert AuditEvent.objects.filter(action="session.ended", target_id=str(live_session.pk)).count() == 1


def test_two_reopens_at_once_keep_one_code(live_session) -> None:
    services.session_end(session=live_session)
    first, second = two_copies(live_session)
    with mock.patch("sessions.joincodes.new_code", side_effect=["BBBBBB", "CCCCCC"]):
        ClassSessionFactory(join_code=live_session.join_code)  # the old code was taken meanwhile
        reopened = services.session_reopen(session=first)
        again = services.session_reopen(session=second)
    assert reopened.join_code == again.join_code == "BBBBBB"


@pytest.mark.parametrize(("change", "state"), [("start", SessionState.DRAFT), ("end", SessionState.LIVE),
                                                ("reopen", SessionState.ENDED)])  # fmt: skip
def test_each_state_change_locks_the_row(change, state) -> None:
    session = ClassSessionFactory(state=state)
    real = QuerySet.select_for_update
    with mock.patch.object(QuerySet, "select_for_update", autospec=True, side_effect=real) as locking:
        getattr(services, f"session_{change}")(session=session)
    assert any(call.args[0].model is ClassSession for call in locking.call_args_list)
