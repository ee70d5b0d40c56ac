"""The teacher's analytics: per student and for the session, in a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from coding.models import Execution
from tests.sessions.factories import ExecutionFactory, GuestParticipantFactory, HelpRequestFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def analytics(client, session):
    response = client.get(f"/api/sessions/{session.pk}/analytics")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_reports_each_student(client_for, teacher, live_session, participant, guest) -> None:
    type(participant).objects.filter(pk=participant.pk).update(active_seconds=600, chars_typed=1234)
    now = timezone.now()
    for minutes, status, message, tail in [
        (5, "ok", "", "hi"),
        (4, "compile-error", "main.py:1: SyntaxError", ""),
        (3, "runtime-error", "", "Traceback\n  File main.py\nZeroDivisionError: division by zero\n\n"),
        (2, "ok", "", ""),
        (1, "killed", "stopped", ""),
        (0, "rejected", "too many runs", ""),
    ]:
        run = ExecutionFactory(participant=participant, status=status, message=message, output_tail=tail)
        Execution.objects.filter(pk=run.pk).update(created_at=now - timedelta(minutes=minutes))
    HelpRequestFactory(participant=participant, state="resolved")
    HelpRequestFactory(participant=participant)
    body = analytics(client_for(teacher), live_session)
    mine = next(s for s in body["students"] if s["participant_id"] == str(participant.pk))
    assert mine["active_seconds"] == 600 and mine["chars_typed"] == 1234
    assert mine["runs"] == 5 and mine["failed_runs"] == 2
    assert mine["runs_by_status"] == {"ok": 2, "compile-error": 1, "runtime-error": 1, "killed": 1}
    assert mine["last_error"] == "runtime-error: ZeroDivisionError: division by zero"
    assert mine["last_error_status"] == "runtime-error" and mine["last_error_at"]
    assert mine["help_requests"] == 2 and mine["open_help_requests"] == 1
    theirs = next(s for s in body["students"] if s["participant_id"] == str(guest.pk))
    assert theirs["runs"] == 0 and theirs["runs_by_status"] == {} and theirs["last_error"] is None
    assert theirs["is_guest"] is True and theirs["help_requests"] == 0


def test_it_totals_the_session(client_for, teacher, live_session, participant, guest) -> None:
    ExecutionFactory(participant=participant, status="ok")
    ExecutionFactory(participant=guest, status="timeout")
    ExecutionFactory(participant=guest, status="ok")
    HelpRequestFactory(participant=guest)
    type(guest).objects.filter(pk=guest.pk).update(active_seconds=30, chars_typed=10, connections=1)
    type(live_session).objects.filter(pk=live_session.pk).update(started_at=timezone.now() - timedelta(minutes=10))
    totals = analytics(client_for(teacher), live_session)["session"]
    assert totals["participants"] == 2 and totals["online"] == 1
    assert totals["runs"] == 3 and totals["runs_by_status"] == {"ok": 2, "timeout": 1} and totals["failed_runs"] == 1
    assert totals["help_requests"] == 1 and totals["open_help_requests"] == 1
    assert totals["active_seconds"] == 30 and totals["chars_typed"] == 10
    assert 590 <= totals["duration_seconds"] <= 700 and totals["state"] == "live"


def test_a_compile_error_without_a_message_shows_the_last_output_line(client_for, teacher, participant) -> None:
    tail = "a\nerror: ';' expected\n"
    ExecutionFactory(participant=participant, status="compile-error", message="", output_tail=tail)
    body = analytics(client_for(teacher), participant.session)
    assert body["students"][0]["last_error"] == "compile-error: error: ';' expected"


def test_it_ignores_other_sessions_runs(client_for, teacher, live_session, participant) -> None:
    ExecutionFactory(participant=ParticipantFactory(), status="ok")
    ExecutionFactory(participant=None, session=None, user=participant.user, status="ok")  # a run outside classes
    assert analytics(client_for(teacher), live_session)["session"]["runs"] == 0


def test_it_is_a_bounded_number_of_queries(client_for, teacher, live_session, django_assert_max_num_queries):
    for n in range(40):
        student = GuestParticipantFactory(session=live_session)
        for status in ("ok", "runtime-error", "timeout")[: n % 4]:
            ExecutionFactory(participant=student, status=status, output_tail="boom")
        if n % 5 == 0:
            HelpRequestFactory(participant=student)
    t = client_for(teacher)
    with django_assert_max_num_queries(5):  # 4, and whether the session has exercises (exercises.grid.analytics)
        body = analytics(t, live_session)
    assert len(body["students"]) == 40 and body["session"]["runs"] == sum(min(n % 4, 3) for n in range(40))


@pytest.mark.parametrize(("language", "status", "message", "tail", "shown"), [
    ("python", "runtime-error", "SyntaxError: expected ':'", 'File "/work/main.py", line 1\r\n    if x\r\n'
     "        ^\r\nSyntaxError: expected ':'\r\n", "runtime-error: SyntaxError: expected ':'"),
    # Recorded before run messages named the error: the line comes from the output.
    ("python", "runtime-error", "exited with code 1", "hi\r\nSyntaxError: expected ':'\r\n",
     "runtime-error: SyntaxError: expected ':'"),
    ("java", "runtime-error", "exited with code 1", 'Exception in thread "main" java.lang.ArithmeticException: '
     "/ by zero\r\n\tat Main.main(Main.java:3)\r\n", "runtime-error: java.lang.ArithmeticException: / by zero"),
    ("c", "compile-error", "main.c: In function 'main':\nmain.c:3:5: error: expected ';' before 'return'\n", "",
     "compile-error: main.c:3:5: error: expected ';' before 'return'"),
])  # fmt: skip
def test_a_failed_run_shows_the_errors_own_line(
    client_for, teacher, participant, language, status, message, tail, shown
) -> None:
    ExecutionFactory(participant=participant, language=language, status=status, exit_code=1, message=message,
                     output_tail=tail)
    body = analytics(client_for(teacher), participant.session)
    assert body["students"][0]["last_error"] == shown
    assert body["students"][0]["last_error_status"] == status
