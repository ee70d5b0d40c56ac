"""GitHub in Chromium, against the fake GitHub the test starts (no internet): a teacher
links GitHub and signs in with it, archives a session (connecting GitHub for archiving
on the way), archives again after a change; a student saves their work to their own
repository. The fake received the right trees."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.classes import call, sign_in_teacher, start_class
from tests.e2e.server import LiveServer, start_server
from tests.e2e.ui import same_origin, shot
from tests.gitarchive.fakegithub import FakeGitHub

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.client_secret = "e2e-secret"
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def github_server(fake_github: FakeGitHub) -> Iterator[LiveServer]:
    """A server of its own whose GitHub is the fake."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GITHUB_CLIENT_ID", "e2e-client")
        patch.setenv("GITHUB_CLIENT_SECRET", "e2e-secret")
        patch.setenv("GITHUB_BASE_URL", fake_github.url)
        patch.setenv("GITHUB_API_URL", fake_github.url + "/api/")
        server = start_server()
    yield server
    server.stop()


def page_for(browser: Browser, server: LiveServer, fake: FakeGitHub, foreign: list[str]) -> Page:
    """As tests.e2e.ui.new_page, with the fake GitHub as the one other site the browser may visit."""
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(20_000)

    def guard(route: Route) -> None:
        url = route.request.url
        if same_origin(url, server.base_url) or same_origin(url, fake.url):
            route.fallback()
        else:
            foreign.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    return context.new_page()


def wait_job_done(page: Page) -> None:
    done = page.get_by_test_id("github-job").last
    expect(done).to_contain_text(re.compile(r"Archived|Nothing changed"), timeout=60_000)


def test_github_sign_in_archive_twice_and_a_students_save(
    browser: Browser, github_server: LiveServer, fake_github: FakeGitHub, output_dir: Path
) -> None:
    server, fake = github_server, fake_github
    foreign: list[str] = []
    fake.add_user("gh-teacher", name="Ms Teacher", email="teacher@school.example")
    fake.next_login = "gh-teacher"
    teacher_api = sign_in_teacher(server)
    lesson = start_class(server, teacher_api, "Loops in Python", "Print the numbers 1 to 10.")

    # A student with an account joins and writes a file.
    call(server, "POST", "/api/auth/register", {"username": "stu", "password": "Correct-horse-42",
                                                "display_name": "Stu Dent"})
    stu = call(server, "POST", "/api/auth/login", {"username": "stu", "password": "Correct-horse-42"})
    joined = call(server, "POST", "/api/join", {"code": lesson["join_code"]}, stu["access"])
    participant = joined["participant"]["id"]
    call(server, "POST", f"/api/participants/{participant}/files/", {"name": "count.py",
         "content": "for i in range(1, 11):\n    print(i)\n"}, stu["access"])

    page = page_for(browser, server, fake, foreign)
    try:
        # The teacher links GitHub from their GitHub page (signed in with the password)...
        page.goto("/login")
        page.get_by_label("Username").fill(server.teacher_username)
        page.get_by_label("Password").fill(server.teacher_password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page).to_have_url(re.compile(r"/teach$"))
        page.get_by_role("link", name="GitHub").click()
        page.get_by_role("button", name="Link GitHub").click()
        expect(page.get_by_text("GitHub is linked")).to_be_visible()
        shot(page, output_dir, "01-linked")
        assert_accessible(page, "the GitHub page, linked")
        # ... signs out, and signs in with GitHub.
        page.get_by_role("button", name="Sign out").click()
        page.goto("/login")
        expect(page.get_by_role("button", name="Sign in with GitHub")).to_be_visible()
        shot(page, output_dir, "02-sign-in-page")
        assert_accessible(page, "the sign-in page with GitHub")
        page.get_by_role("button", name="Sign in with GitHub").click()
        expect(page).to_have_url(re.compile(r"/teach$"))
        assert "github_code" not in page.url
        assert not [c for c in page.context.cookies() if c["name"] == "sessionid"], "a session cookie stayed behind"
        assert "repo" not in fake.authorize_requests[-1]["scope"].split(",")

        # Archive: GitHub is connected for archiving first (repo scope asked now), then the form.
        page.goto(f"/teach/{lesson['id']}")
        page.get_by_role("button", name="Archive to GitHub").click()
        page.get_by_role("button", name="Connect GitHub").click()
        expect(page).to_have_url(re.compile(r"github=connected"))
        assert "repo" in fake.authorize_requests[-1]["scope"].split(",")
        form = page.get_by_role("form", name="Archive to GitHub")
        expect(form.get_by_label("Repository name")).to_have_value("loops-in-python")
        shot(page, output_dir, "03-archive-form")
        form.get_by_role("button", name="Archive now").click()
        wait_job_done(page)
        shot(page, output_dir, "04-archived")
        assert_accessible(page, "the session page with the archive form")
        repo = fake.repo("gh-teacher", "loops-in-python")
        files = repo.files_at()
        assert files["Stu Dent/count.py"] == "for i in range(1, 11):\n    print(i)\n"
        assert files["Stu Dent/main.py"] == "print('hello')\n" and files["starter/main.py"] == "print('hello')\n"
        assert files["STATEMENT.md"] == "Print the numbers 1 to 10." and "Loops in Python" in files["README.md"]
        assert repo.private and len(repo.history()) == 2

        # The student changes a file; archiving again adds one commit with the change.
        listing = call(server, "GET", f"/api/participants/{participant}/files/", None, stu["access"])
        count = next(f for f in listing if f["name"] == "count.py")
        call(server, "PATCH", f"/api/participants/{participant}/files/{count['id']}/",
             {"content": "for i in range(1, 11):\n    print(i * i)\n"}, stu["access"])
        page.reload()
        page.get_by_role("button", name="Archive to GitHub").click()
        form = page.get_by_role("form", name="Archive to GitHub")
        form.get_by_role("button", name="Archive now").click()
        expect(page.get_by_test_id("github-job").last).to_contain_text("1 changed", timeout=60_000)
        history = repo.history()
        assert len(history) == 3 and history[0]["parents"] == [history[1]["sha"]]
        assert "Stu Dent/count.py" in history[0]["message"]
        assert repo.files_at()["Stu Dent/count.py"] == "for i in range(1, 11):\n    print(i * i)\n"
        shot(page, output_dir, "05-archived-again")

        # The student pastes a token of theirs and saves their work from the workspace.
        student_token = fake.add_user("gh-stu")
        student = page_for(browser, server, fake, foreign)
        student.goto("/login")
        student.evaluate("pair => localStorage.setItem('observer.tokens', JSON.stringify(pair))",
                         {"access": stu["access"], "refresh": stu["refresh"]})
        student.goto("/account/github")
        student.get_by_label("Or paste a fine-grained token").fill(student_token)
        student.get_by_role("button", name="Save token").click()
        expect(student.get_by_text("a pasted token")).to_be_visible()
        assert student_token not in student.content()
        shot(student, output_dir, "06-student-token")
        student.goto(f"/s/{lesson['id']}")
        expect(student.get_by_test_id("workspace")).to_be_visible()
        student.get_by_role("button", name="Save to my GitHub").click()
        save = student.get_by_role("form", name="Save to my GitHub")
        expect(save.get_by_label("Repository name")).to_have_value("observer-loops-in-python")
        save.get_by_role("button", name="Save now").click()
        wait_job_done(student)
        shot(student, output_dir, "07-student-saved")
        assert_accessible(student, "the workspace with the save form")
        mine = fake.repo("gh-stu", "observer-loops-in-python").files_at()
        assert mine["count.py"] == "for i in range(1, 11):\n    print(i * i)\n"
        assert mine["main.py"] == "print('hello')\n"
        assert json.loads(mine[".observer/archive.json"])["participant"] == participant
    finally:
        (output_dir / "server.log").write_text(server.log_tail(300))
    assert not foreign, f"pages asked for something other than the server and the fake GitHub: {foreign}"
