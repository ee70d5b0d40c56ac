"""An ended session refuses writes and runs with one error, SessionEnded (409
`session_ended` over HTTP, an error frame `session_ended` on the terminal socket),
whichever app refuses."""

from __future__ import annotations

import pytest

from observer.errors import Conflict, SessionEnded
from sessions.models import SessionState
from sessions.services.common import require_not_ended
from sessions.terminal.plan import run_plan
from tests.live_support import make_classroom

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended():
    classroom = make_classroom()
    classroom.session.state = SessionState.ENDED
    classroom.session.save(update_fields=["state"])
    return classroom


def test_a_files_write_and_a_run_are_refused_with_the_same_error(ended) -> None:
    with pytest.raises(SessionEnded) as write:
        require_not_ended(ended.session)
    with pytest.raises(SessionEnded) as run:
        run_plan(participant_id=ended.participant.pk, file_ids=None, entry=None)
    for refused in (write.value, run.value):
        assert isinstance(refused, Conflict) and refused.status_code == 409
        assert refused.code == "session_ended" and refused.get_codes() == "session_ended"
    assert run.value.message == "This session has ended; runs are closed."
