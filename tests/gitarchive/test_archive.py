"""Archiving to the fake GitHub: a session into a new repository, again after a change
(one more commit, never a force-push), nothing changed, rate limits waited out,
permission and token errors that say what to do, a resumed job, a student's save."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.utils import timezone

from gitarchive import jobs
from gitarchive.credentials import credential_store
from gitarchive.models import ArchiveJob, JobState
from monitoring.models import AuditEvent
from tests.factories import TeacherFactory
from tests.gitarchive.conftest import run_queued
from tests.gitarchive.fakegithub import FakeGitHub
from tests.sessions.factories import ClassSessionFactory, DocumentFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def classroom(fake_github: FakeGitHub, slept: list[float]) -> dict[str, Any]:
    teacher = TeacherFactory(username="teach")
    token = fake_github.add_user("gh-teach", orgs=("school",))
    credential_store(user=teacher, token=token, kind="pasted", login="gh-teach")
    session = ClassSessionFactory(teacher=teacher, title="Loops", instructions="Print 1 to 10.")
    alex1 = ParticipantFactory(session=session, display_name="Alex")
    alex2 = ParticipantFactory(session=session, display_name="Alex")
    sneaky = ParticipantFactory(session=session, display_name="../etc")
    DocumentFactory(participant=alex1, name="main.py", content="for i in range(10): print(i)\n")
    DocumentFactory(participant=alex2, name="main.py", content="print('hi')\n")
    DocumentFactory(participant=sneaky, name="main.py", content="x = 1\n")
    return {"teacher": teacher, "token": token, "session": session, "alex1": alex1, "alex2": alex2}


def archive(client: Any, session: Any, **body: Any) -> Any:
    return client.post(f"/api/sessions/{session.pk}/github-archives", {"repo": "loops", **body}, format="json")


def test_a_session_archives_into_a_new_private_repository(
    client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any]
) -> None:
    client = client_for(classroom["teacher"])
    queued = archive(client, classroom["session"])
    assert queued.status_code == 202, queued.content
    assert queued.json()["state"] == "queued" and queued.json()["files_done"] == 0
    [job] = run_queued()
    assert job.state == JobState.DONE, job.message
    repo = fake_github.repo("gh-teach", "loops")
    assert repo.private is True
    files = repo.files_at()
    assert set(files) == {"README.md", "STATEMENT.md", "starter/main.py", "Alex/main.py", "Alex (2)/main.py",
                          "_etc/main.py", ".observer/archive.json"}
    assert files["Alex/main.py"] == "for i in range(10): print(i)\n" and files["Alex (2)/main.py"] == "print('hi')\n"
    assert files["STATEMENT.md"] == "Print 1 to 10." and files["starter/main.py"] == "print('hello')\n"
    readme = files["README.md"]
    assert "# Loops" in readme and "Students: 3" in readme and "| [Alex (2)]" not in readme  # names, not folders
    assert json.loads(files[".observer/archive.json"])["session"] == str(classroom["session"].pk)
    history = repo.history()
    assert len(history) == 2 and history[0]["message"].startswith('Archive of the class "Loops"')
    assert job.files_total == job.files_done == 7 and job.commit_sha == history[0]["sha"]
    assert job.repo_url.endswith("/gh-teach/loops")
    assert AuditEvent.objects.filter(action="github.archive_requested", actor=classroom["teacher"]).exists()
    assert AuditEvent.objects.filter(action="github.archive_done", details__repository="~/loops").exists()
    shown = client.get(f"/api/github/jobs/{job.pk}").json()
    assert shown["state"] == "done" and shown["files_done"] == 7 and classroom["token"] not in json.dumps(shown)


def test_archiving_again_adds_a_commit_with_what_changed(
    client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any]
) -> None:
    client = client_for(classroom["teacher"])
    archive(client, classroom["session"])
    run_queued()
    document = classroom["alex2"].documents.get()
    document.content = "print('hello, world')\n"
    document.save()
    DocumentFactory(participant=classroom["alex1"], name="extra.py", content="# more\n")
    assert archive(client, classroom["session"]).status_code == 202
    [job] = run_queued()
    assert job.state == JobState.DONE, job.message
    repo = fake_github.repo("gh-teach", "loops")
    history = repo.history()
    assert len(history) == 3 and history[0]["parents"] == [history[1]["sha"]]  # a fast-forward on the last one
    message = history[0]["message"]
    assert "- Alex (2)/main.py" in message.split("Changed:")[1] and "- Alex/extra.py" in message.split("Added:")[1]
    assert repo.files_at()["Alex (2)/main.py"] == "print('hello, world')\n"
    # Files GitHub already had were not sent again.
    assert job.uploaded.keys() <= {"Alex (2)/main.py", "Alex/extra.py", "README.md"}

    # Nothing changed: no new commit.
    archive(client, classroom["session"])
    [same] = run_queued()
    assert same.state == JobState.DONE and "Nothing changed" in same.message
    assert len(repo.history()) == 3


def test_an_organisation_the_teacher_belongs_to_and_one_they_do_not(
    client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any]
) -> None:
    client = client_for(classroom["teacher"])
    archive(client, classroom["session"], owner="school", private=False)
    [job] = run_queued()
    assert job.state == JobState.DONE and fake_github.repo("school", "loops").private is False
    archive(client, classroom["session"], owner="elsewhere")
    [refused] = run_queued()
    assert refused.state == JobState.FAILED and refused.error_code == "no_org_access"
    assert "organisation 'elsewhere'" in refused.message


def test_a_name_taken_by_another_repository_is_refused(
    client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any]
) -> None:
    other = ClassSessionFactory(teacher=classroom["teacher"], title="Other")
    client = client_for(classroom["teacher"])
    client.post(f"/api/sessions/{other.pk}/github-archives", {"repo": "loops"}, format="json")
    run_queued()
    before = fake_github.repo("gh-teach", "loops").history()
    archive(client, classroom["session"])
    [job] = run_queued()
    assert job.state == JobState.FAILED and job.error_code == "name_taken" and "another name" in job.message
    assert fake_github.repo("gh-teach", "loops").history() == before


def test_rate_limits_are_waited_out(client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any],
                                    slept: list[float]) -> None:
    reset = int(time.time()) + 30
    fake_github.fail("POST", r"/git/blobs$", 403, headers={"X-RateLimit-Remaining": "0",
                                                          "X-RateLimit-Reset": str(reset)})
    fake_github.fail("POST", r"/git/trees$", 429, headers={"Retry-After": "7"})
    archive(client_for(classroom["teacher"]), classroom["session"])
    [job] = run_queued()
    assert job.state == JobState.DONE, job.message
    assert sum(slept) >= 7 + 1  # both waits were honoured (sliced), none skipped
    assert any(abs(s - 7) < 0.5 for s in slept) or sum(slept) >= 7
    assert len(fake_github.repo("gh-teach", "loops").history()) == 2


def test_a_rate_limit_too_far_away_fails_with_when_to_retry(
    client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any]
) -> None:
    fake_github.fail("GET", r"^/api/user$", 403, headers={"X-RateLimit-Remaining": "0",
                                                          "X-RateLimit-Reset": str(int(time.time()) + 7200)})
    archive(client_for(classroom["teacher"]), classroom["session"])
    [job] = run_queued()
    assert job.state == JobState.FAILED and job.error_code == "rate_limited" and "minutes" in job.message


def test_a_permission_error_says_what_to_do(client_for: Any, fake_github: FakeGitHub,
                                            classroom: dict[str, Any]) -> None:
    fake_github.fail("POST", r"^/api/user/repos$", 403, message="Resource not accessible by personal access token")
    archive(client_for(classroom["teacher"]), classroom["session"])
    [job] = run_queued()
    assert job.state == JobState.FAILED and job.error_code == "forbidden"
    assert "Administration" in job.message and "Resource not accessible" in job.message
    assert AuditEvent.objects.filter(action="github.archive_failed", details__error="forbidden").exists()


def test_an_expired_token_says_to_connect_again(client_for: Any, fake_github: FakeGitHub,
                                                classroom: dict[str, Any]) -> None:
    del fake_github.tokens[classroom["token"]]
    archive(client_for(classroom["teacher"]), classroom["session"])
    [job] = run_queued()
    assert job.state == JobState.FAILED and job.error_code == "token_expired" and "paste a new token" in job.message


class ProcessDied(BaseException):
    """The server process stopping mid-job (not an error the job could catch)."""


def test_a_job_interrupted_by_a_restart_resumes_and_sends_only_the_rest(
    client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitarchive.client import GitHub

    client = client_for(classroom["teacher"])
    archive(client, classroom["session"])
    job = ArchiveJob.objects.get()
    sent = {"n": 0}
    real_create_blob = GitHub.create_blob

    def dies_after_three(self: Any, owner: str, name: str, content: str) -> str:
        if sent["n"] == 3:
            raise ProcessDied()
        sent["n"] += 1
        return real_create_blob(self, owner, name, content)

    monkeypatch.setattr(GitHub, "create_blob", dies_after_three)
    worker = jobs.job_claim(job_id=job.pk, fresh=True)
    assert worker
    with pytest.raises(ProcessDied):
        jobs.job_run(job_id=job.pk, worker=worker)
    monkeypatch.setattr(GitHub, "create_blob", real_create_blob)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and len(job.uploaded) == 3 and job.files_done == 3
    blobs = [p for m, p in fake_github.requests if m == "POST" and p.endswith("/git/blobs")]
    assert len(blobs) == 3

    # While its heartbeat is fresh nobody takes it over; once stale, a look at it does.
    assert client.get(f"/api/github/jobs/{job.pk}").json()["state"] == "running"
    assert jobs.job_claim(job_id=job.pk) is None
    ArchiveJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - jobs.STALE_AFTER * 2)
    started: list[Any] = []
    monkeypatch.setattr(jobs, "start_thread", started.append)
    shown = client.get(f"/api/github/jobs/{job.pk}")
    assert shown.status_code == 200 and len(started) == 1
    # The resumed worker, here instead of in a thread; a thread's closing of its own
    # database connection would close the test's (PostgreSQL), so not here.
    monkeypatch.setattr(jobs, "close_old_connections", lambda: None)
    started[0]()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2, job.message
    blobs = [p for m, p in fake_github.requests if m == "POST" and p.endswith("/git/blobs")]
    assert len(blobs) == 7  # the three sent before the restart were not sent again
    repo = fake_github.repo("gh-teach", "loops")
    assert len(repo.history()) == 2 and len(repo.files_at()) == 7


def test_too_many_interruptions_fail_cleanly(client_for: Any, classroom: dict[str, Any]) -> None:
    archive(client_for(classroom["teacher"]), classroom["session"])
    ArchiveJob.objects.update(state=JobState.RUNNING, attempts=jobs.MAX_ATTEMPTS,
                              heartbeat_at=timezone.now() - jobs.STALE_AFTER * 2)
    assert jobs.jobs_resume_stale(inline=True) == 1
    job = ArchiveJob.objects.get()
    assert job.state == JobState.FAILED and job.error_code == "interrupted" and "Start it again" in job.message


def test_a_student_saves_their_work_to_their_own_repository(
    client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any]
) -> None:
    alex = classroom["alex1"]
    credential_store(user=alex.user, token=fake_github.add_user("gh-alex"), kind="pasted")
    client = client_for(alex.user)
    saved = client.post(f"/api/participants/{alex.pk}/github-save", {"repo": "my-loops"}, format="json")
    assert saved.status_code == 202, saved.content
    [job] = run_queued()
    assert job.state == JobState.DONE, job.message
    files = fake_github.repo("gh-alex", "my-loops").files_at()
    assert set(files) == {"README.md", "main.py", ".observer/archive.json"}
    assert files["main.py"] == "for i in range(10): print(i)\n" and "Loops" in files["README.md"]
    assert [j["id"] for j in client.get("/api/github/jobs").json()] == [str(job.pk)]


def test_what_other_apps_add_to_the_export_is_archived_too(
    client_for: Any, fake_github: FakeGitHub, classroom: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exercises' grades (and any app's records of the session, through the export's
    SESSION_EXTRAS) go under records/, named in the README."""
    from sessions import export

    def grades(session: Any) -> Any:
        yield "grades.csv", [b"student,exercise,score\n", b"Alex,loops,7\n"], timezone.now()
        yield "submissions.json", [b'[{"hidden": "expected output"}]'], timezone.now()

    monkeypatch.setattr(export, "SESSION_EXTRAS", [grades])
    monkeypatch.setattr("gitarchive.content.SESSION_EXTRAS", [grades])
    archive(client_for(classroom["teacher"]), classroom["session"])
    [job] = run_queued()
    assert job.state == JobState.DONE, job.message
    files = fake_github.repo("gh-teach", "loops").files_at()
    assert files["records/grades.csv"] == "student,exercise,score\nAlex,loops,7\n"
    assert "records/grades.csv" in files["README.md"]
    # The submissions hold hidden tests' inputs and expected outputs: the zip's, not a repository's.
    assert "records/submissions.json" not in files and "expected output" not in "".join(files.values())
