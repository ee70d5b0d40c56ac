"""Who may use the GitHub endpoints, and bad input: refused in the standard error shape,
changing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.tokens import GuestToken
from gitarchive.credentials import credential_store
from gitarchive.models import ArchiveJob, GitHubCredential
from tests.factories import AdminFactory, TeacherFactory, UserFactory
from tests.gitarchive.conftest import run_queued
from tests.gitarchive.fakegithub import FakeGitHub
from tests.sessions.conftest import refused
from tests.sessions.factories import ClassSessionFactory, GuestParticipantFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(fake_github: FakeGitHub, slept: list[float]) -> dict[str, Any]:
    teacher = TeacherFactory()
    session = ClassSessionFactory(teacher=teacher)
    student = ParticipantFactory(session=session)
    guest = GuestParticipantFactory(session=session)
    people = {"teacher": teacher, "other_teacher": TeacherFactory(), "admin": AdminFactory(),
              "student": student.user, "outsider": UserFactory()}
    for name, user in people.items():
        credential_store(user=user, token=fake_github.add_user(f"gh-{name}"), kind="pasted")
    return {**people, "session": session, "participant": student, "guest": guest}


ARCHIVE = {"repo": "lesson"}


@pytest.mark.parametrize("who, status, code", [
    ("anonymous", 401, "not_authenticated"),
    ("outsider", 404, "not_found"),
    ("other_teacher", 404, "not_found"),
    ("student", 403, "permission_denied"),
    ("teacher", 202, None),
    ("admin", 202, None),
])
def test_who_may_archive_a_session(api: Any, client_for: Any, world: dict[str, Any], who: str, status: int,
                                   code: str | None) -> None:
    client = api if who == "anonymous" else client_for(world[who])
    url = f"/api/sessions/{world['session'].pk}/github-archives"
    answer = client.post(url, ARCHIVE, format="json")
    listing = client.get(url)
    if code:
        refused(answer, status, code)
        assert listing.status_code == status
        assert not ArchiveJob.objects.exists()
    else:
        assert answer.status_code == 202 and listing.status_code == 200 and len(listing.json()) == 1


@pytest.mark.parametrize("who, status, code", [
    ("anonymous", 401, "not_authenticated"),
    ("outsider", 404, "not_found"),
    ("teacher", 403, "permission_denied"),
    ("admin", 403, "permission_denied"),
    ("student", 202, None),
])
def test_who_may_save_a_students_work(api: Any, client_for: Any, world: dict[str, Any], who: str, status: int,
                                      code: str | None) -> None:
    client = api if who == "anonymous" else client_for(world[who])
    answer = client.post(f"/api/participants/{world['participant'].pk}/github-save", ARCHIVE, format="json")
    if code:
        refused(answer, status, code)
        assert not ArchiveJob.objects.exists()
    else:
        assert answer.status_code == 202


def test_a_guest_has_no_github(client_for: Any, world: dict[str, Any]) -> None:
    guest = world["guest"]
    token = GuestToken.for_participant(participant_id=str(guest.pk), session_id=str(guest.session_id),
                                       display_name=guest.display_name)
    client = client_for(str(token))
    answer = client.post(f"/api/participants/{world['guest'].pk}/github-save", ARCHIVE, format="json")
    refused(answer, 403, "permission_denied")
    refused(client.get("/api/auth/github/account"), 403, "permission_denied")


def test_jobs_are_seen_by_who_started_them_and_admins(client_for: Any, world: dict[str, Any]) -> None:
    client_for(world["teacher"]).post(f"/api/sessions/{world['session'].pk}/github-archives", ARCHIVE, format="json")
    job = ArchiveJob.objects.get()
    assert client_for(world["teacher"]).get(f"/api/github/jobs/{job.pk}").status_code == 200
    assert client_for(world["admin"]).get(f"/api/github/jobs/{job.pk}").status_code == 200
    refused(client_for(world["other_teacher"]).get(f"/api/github/jobs/{job.pk}"), 404, "not_found")
    assert client_for(world["other_teacher"]).get("/api/github/jobs").json() == []


def test_no_token_and_a_busy_repository_are_conflicts(client_for: Any, world: dict[str, Any]) -> None:
    url = f"/api/sessions/{world['session'].pk}/github-archives"
    GitHubCredential.objects.filter(user=world["teacher"]).delete()
    refused(client_for(world["teacher"]).post(url, ARCHIVE, format="json"), 409, "conflict")
    credential_store(user=world["teacher"], token="ghp_whatever", kind="pasted")
    assert client_for(world["teacher"]).post(url, ARCHIVE, format="json").status_code == 202
    refused(client_for(world["teacher"]).post(url, {"repo": "LESSON"}, format="json"), 409, "conflict")
    assert ArchiveJob.objects.count() == 1


@pytest.mark.parametrize("body", [
    {}, {"repo": ""}, {"repo": "a b"}, {"repo": ".."}, {"repo": "x" * 101}, {"repo": 5}, {"repo": ["a"]},
    {"repo": "ok", "owner": "bad owner"}, {"repo": "ok", "owner": "-dash"}, {"repo": "ok", "private": "maybe"},
    {"repo": "a/b"}, {"repo": "ok\u0000"},
])
def test_bad_archive_input(client_for: Any, world: dict[str, Any], body: dict[str, Any]) -> None:
    answer = client_for(world["teacher"]).post(f"/api/sessions/{world['session'].pk}/github-archives", body,
                                               format="json")
    refused(answer, 400, "invalid")
    assert not ArchiveJob.objects.exists()


def test_a_pasted_token_is_checked_stored_sealed_masked_and_revocable(
    client_for: Any, fake_github: FakeGitHub, world: dict[str, Any]
) -> None:
    client = client_for(world["outsider"])
    token = fake_github.add_user("gh-new")
    refused(client.put("/api/auth/github/token", {"token": "ghp_not-a-real-one"}, format="json"), 400, "invalid")
    unknown = client.put("/api/auth/github/token", {"token": "ghp_" + "0" * 36}, format="json")
    refused(unknown, 400, "invalid")
    assert "GitHub did not accept" in unknown.json()["error"]["message"]
    refused(client.put("/api/auth/github/token", {"token": 42}, format="json"), 400, "invalid")
    answer = client.put("/api/auth/github/token", {"token": token}, format="json")
    assert answer.status_code == 200, answer.content
    shown = answer.json()["token"]
    assert shown["kind"] == "pasted" and shown["login"] == "gh-new" and shown["masked"].endswith(token[-4:])
    assert token not in answer.content.decode() and token not in GitHubCredential.objects.get(
        user=world["outsider"]).token_sealed
    assert client.delete("/api/auth/github/token").json()["token"] is None
    refused(client.delete("/api/auth/github/token"), 404, "not_found")


def test_without_github_settings_every_github_action_says_so(client_for: Any, world: dict[str, Any],
                                                             settings: Any) -> None:
    settings.GITHUB_CLIENT_ID = ""
    client = client_for(world["teacher"])
    refused(client.post(f"/api/sessions/{world['session'].pk}/github-archives", ARCHIVE, format="json"), 404,
            "github_not_configured")
    refused(client.post("/api/auth/github/connect", {"purpose": "link"}, format="json"), 404, "github_not_configured")
    refused(client.put("/api/auth/github/token", {"token": "ghp_" + "1" * 36}, format="json"), 404,
            "github_not_configured")
    assert client.get("/api/auth/github/account").json()["enabled"] is False
    assert not ArchiveJob.objects.exists()


def test_jobs_run_for_the_admin_too(client_for: Any, fake_github: FakeGitHub, world: dict[str, Any]) -> None:
    client_for(world["admin"]).post(f"/api/sessions/{world['session'].pk}/github-archives", ARCHIVE, format="json")
    [job] = run_queued()
    assert job.state == "done", job.message
    assert fake_github.repo("gh-admin", "lesson")
