"""A participant's last finished run, with its output tail: what a student who reloads
and a teacher who opens the student see in the terminal instead of an empty one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from coding.models import Execution
from tests.factories import TeacherFactory, UserFactory
from tests.sessions.conftest import guest_token
from tests.sessions.factories import ClassSessionFactory, ExecutionFactory, GuestParticipantFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def _aged(run: Execution, seconds: int) -> Execution:
    Execution.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))
    return run


def test_it_gives_the_last_finished_run_with_its_output(client_for, teacher) -> None:
    student = ParticipantFactory(session=ClassSessionFactory(teacher=teacher))
    _aged(ExecutionFactory(participant=student, output_tail="old\n"), 30)
    last = _aged(ExecutionFactory(
        participant=student, status="runtime-error", exit_code=1, message="exited with code 1",
        output_tail="Traceback\n  File \"main.py\", line 2\nNameError: x\n", cpu_ms=12, peak_memory_kb=900,
    ), 20)  # fmt: skip
    _aged(ExecutionFactory(participant=student, status="rejected", output_tail=""), 10)  # refused: not a run
    _aged(ExecutionFactory(participant=student, status="running", exit_code=None, output_tail=""), 5)  # not over

    for viewer in (teacher, student.user):
        body = client_for(viewer).get(f"/api/participants/{student.pk}/last-run").json()
        assert body["last_run"] == {
            "run_id": str(last.pk), "entry": "main.py", "status": "runtime-error", "exit_code": 1, "signal": None,
            "wall_ms": 40, "cpu_ms": 12, "peak_memory_kb": 900, "output_bytes": 0,
            "message": "exited with code 1", "output_tail": last.output_tail,
            "finished_at": None,
        }  # fmt: skip


def test_it_says_null_before_the_first_run(client_for, teacher) -> None:
    guest = GuestParticipantFactory(session=ClassSessionFactory(teacher=teacher))
    response = client_for(guest_token(guest)).get(f"/api/participants/{guest.pk}/last-run")
    assert response.status_code == 200 and response.json() == {"last_run": None}


def test_nobody_else_sees_it(client_for, teacher) -> None:
    student = ParticipantFactory(session=ClassSessionFactory(teacher=teacher))
    ExecutionFactory(participant=student, output_tail="secret\n")
    peer = ParticipantFactory(session=student.session)
    for outsider, status, code in [
        (UserFactory(), 404, "not_found"), (TeacherFactory(), 404, "not_found"),
        (guest_token(peer), 403, "permission_denied"), (peer.user, 403, "permission_denied"),
    ]:  # fmt: skip
        response = client_for(outsider).get(f"/api/participants/{student.pk}/last-run")
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
        assert "secret" not in response.content.decode()


def test_an_exercise_check_is_not_the_last_run(client_for, teacher) -> None:
    """A Check or Submit runs the student's program on hidden inputs (not interactive):
    neither the terminal's last run, the status list nor an AI explanation may show it."""
    student = ParticipantFactory(session=ClassSessionFactory(teacher=teacher))
    mine = _aged(ExecutionFactory(participant=student, status="ok", output_tail="my own run\n"), 20)
    _aged(ExecutionFactory(participant=student, interactive=False, status="runtime-error",
                           output_tail="output on a hidden input 7312\n"), 5)  # fmt: skip

    body = client_for(student.user).get(f"/api/participants/{student.pk}/last-run").json()
    assert body["last_run"]["run_id"] == str(mine.pk) and "7312" not in str(body)
    rows = client_for(teacher).get(f"/api/sessions/{student.session.pk}/participants/").json()
    assert [row["last_run_status"] for row in rows if row["id"] == str(student.pk)] == ["ok"]
