"""`manage.py cleanup`: idle sessions end, expired guests' data goes, sandbox leftovers
go (without following symlinks), history is pruned, and it says what it did."""

from __future__ import annotations

import io
import os
import socket
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from coding.models import Execution
from monitoring.management.commands.cleanup import purge_work_dirs
from monitoring.models import AuditEvent
from monitoring.services import audit_record
from sessions.models import ClassSession, Document, Participant, SessionState
from tests.sessions.factories import (
    ClassSessionFactory,
    DocumentFactory,
    ExecutionFactory,
    GuestParticipantFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.django_db
HOUR = 3600


def cleanup(settings, tmp_path: Path) -> str:
    settings.SANDBOX_WORK_ROOT = str(tmp_path / "work")
    out = io.StringIO()
    call_command("cleanup", stdout=out)
    return out.getvalue()


def aged(session: ClassSession, hours: float) -> ClassSession:
    ClassSession.objects.filter(pk=session.pk).update(last_activity_at=timezone.now() - timedelta(hours=hours))
    return session


def test_it_ends_sessions_idle_past_the_configured_age(settings, tmp_path) -> None:
    settings.CLASSROOM = {**settings.CLASSROOM, "IDLE_SESSION_HOURS": 12}
    idle = aged(ClassSessionFactory(title="Forgotten"), 13)
    recent = aged(ClassSessionFactory(), 11)
    typing = aged(ClassSessionFactory(), 13)
    ParticipantFactory(session=typing, last_activity_at=timezone.now() - timedelta(hours=1))
    running = aged(ClassSessionFactory(), 13)
    ExecutionFactory(participant=ParticipantFactory(session=running, last_activity_at=None))
    quiet_student = aged(ClassSessionFactory(), 13)
    ParticipantFactory(session=quiet_student, last_activity_at=timezone.now() - timedelta(hours=20))
    draft = aged(ClassSessionFactory(state=SessionState.DRAFT), 100)
    output = cleanup(settings, tmp_path)
    states = dict(ClassSession.objects.values_list("pk", "state"))
    assert states[idle.pk] == states[quiet_student.pk] == "ended"
    assert states[recent.pk] == states[typing.pk] == states[running.pk] == "live"
    assert states[draft.pk] == "draft"
    assert "Ended 2 session(s)" in output and "Forgotten" in output
    assert AuditEvent.objects.filter(action="session.ended", details__reason="idle").count() == 2


def test_it_deletes_guests_data_after_the_retention_period(settings, tmp_path) -> None:
    settings.CLASSROOM = {**settings.CLASSROOM, "GUEST_RETENTION_DAYS": 30}
    old = ClassSessionFactory(state=SessionState.ENDED, ended_at=timezone.now() - timedelta(days=31))
    recent = ClassSessionFactory(state=SessionState.ENDED, ended_at=timezone.now() - timedelta(days=29))
    expired = GuestParticipantFactory(session=old)
    DocumentFactory(participant=expired)
    ExecutionFactory(participant=expired, user=None)
    kept_guest = GuestParticipantFactory(session=recent)
    kept_student = ParticipantFactory(session=old)
    DocumentFactory(participant=kept_student)
    output = cleanup(settings, tmp_path)
    assert set(Participant.objects.values_list("pk", flat=True)) == {kept_guest.pk, kept_student.pk}
    assert not Document.objects.filter(participant_id=expired.pk).exists()
    assert not Execution.objects.filter(participant_id=expired.pk).exists() and Execution.objects.count() == 0
    assert Document.objects.filter(participant=kept_student).exists()
    assert "Deleted 1 guest participant(s)" in output and "(1 files, 1 runs; 0 audit entries" in output


def test_it_removes_expired_guests_names_from_the_audit_log(settings, tmp_path, teacher) -> None:
    settings.CLASSROOM = {**settings.CLASSROOM, "GUEST_RETENTION_DAYS": 30}
    old = ClassSessionFactory(teacher=teacher, state=SessionState.ENDED, ended_at=timezone.now() - timedelta(days=31))
    expired = GuestParticipantFactory(session=old, display_name="Zoë Private")
    secret_file = DocumentFactory(participant=expired, name="zoe_diary.py")
    kept = ParticipantFactory(session=old, display_name="Kept Student")
    for target in (expired, secret_file, kept):
        audit_record(action="participant.removed", actor=teacher, target=target)
    output = cleanup(settings, tmp_path)
    labels = dict(AuditEvent.objects.values_list("target_id", "target_label"))
    assert labels[str(expired.pk)] == labels[str(secret_file.pk)] == "(deleted guest)"
    assert labels[str(kept.pk)] == "Kept Student"
    assert not AuditEvent.objects.filter(target_label__contains="Zo").exists()
    assert AuditEvent.objects.filter(target_id=str(expired.pk), action="participant.removed").exists()  # kept
    assert "2 audit entries no longer name them" in output


def _age(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(path, (when, when), follow_symlinks=False)


def test_it_purges_old_work_dirs_without_following_symlinks(tmp_path) -> None:
    root, precious = tmp_path / "work", tmp_path / "precious"
    root.mkdir()
    precious.mkdir()
    (precious / "keep.txt").write_text("do not delete")
    old = root / "run-old"
    (old / "sub").mkdir(parents=True)
    (old / "sub" / "out.txt").write_text("x")
    (old / "escape").symlink_to(precious)
    os.chmod(old / "sub", 0o500)  # a program may leave a directory it cannot write
    _age(old, 2 * HOUR)
    (root / "link-old").symlink_to(precious)
    _age(root / "link-old", 2 * HOUR)
    (root / "stray-file").write_text("x")
    _age(root / "stray-file", 2 * HOUR)
    fresh = root / "run-in-progress"
    fresh.mkdir()
    assert purge_work_dirs(root=root) == 3
    assert sorted(p.name for p in root.iterdir()) == ["run-in-progress"]
    assert (precious / "keep.txt").read_text() == "do not delete"


def test_it_leaves_a_symlinked_or_missing_work_root_alone(tmp_path) -> None:
    target = tmp_path / "elsewhere"
    (target / "old").mkdir(parents=True)
    _age(target / "old", 2 * HOUR)
    (tmp_path / "work").symlink_to(target)
    assert purge_work_dirs(root=tmp_path / "work") == 0
    assert purge_work_dirs(root=tmp_path / "missing") == 0
    assert (target / "old").exists()


def test_it_prunes_history_and_reports_each_step(settings, tmp_path) -> None:
    (tmp_path / "work").mkdir()
    with mock.patch("monitoring.management.commands.cleanup.history_prune",
                    return_value={"executions": 4, "audit_events": 0, "errors": 2}) as prune:  # fmt: skip
        output = cleanup(settings, tmp_path)
    prune.assert_called_once_with()
    assert output.splitlines() == [
        "Ended 0 session(s) idle for over 12 hours",
        "Deleted 0 guest participant(s) of sessions ended over 30 days ago (0 files, 0 runs; "
        "0 audit entries no longer name them)",
        "Ended what a server process that stopped left unfinished: 0 runs, 0 exercise submissions, "
        "0 Judge0 submissions, 0 async executions, 0 AI answers",
        f"Removed 0 leftover sandbox work dir(s) from {tmp_path / 'work'}",
        "Pruned history: 4 executions, 0 audit events, 2 errors, 0 judge0 submissions, 0 api run outputs, "
        "0 async executions, 0 webhook deliveries",
    ]


def test_it_ends_runs_a_dead_server_process_left_running(settings, tmp_path) -> None:
    settings.REDIS_URL = ""  # only what this machine can tell
    dead = f"{socket.gethostname()}:4194305:deadbeef"  # above the largest possible pid
    alive = f"{socket.gethostname()}:{os.getppid()}:cafef00d"
    orphan = ExecutionFactory(status="running", owner=dead, started_at=timezone.now())
    living = ExecutionFactory(status="running", owner=alive, started_at=timezone.now())
    (tmp_path / "work").mkdir()
    assert "left unfinished: 1 runs, " in cleanup(settings, tmp_path)
    orphan.refresh_from_db()
    living.refresh_from_db()
    assert (orphan.status, living.status) == ("killed", "running")
    assert "stopped" in orphan.message and orphan.finished_at is not None
