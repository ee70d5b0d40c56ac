"""What the teacher sees is current, and what the student sees after a reload too: the
tile follows the file the student works on (a deleted one goes without a reload), the
last run's output shows on both sides, the help card names the cursor's line and the
error's, an ended session shows no green "Live", a refused run says when to retry once,
and the join form explains a wrong field before sending. Screenshots go to
test-results/e2e/<test>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from tests.e2e.classes import (
    Teacher,
    call,
    join_guest,
    open_as_student,
    open_as_teacher,
    sign_in_teacher,
    start_class,
)
from tests.e2e.server import LiveServer
from tests.e2e.ui import expect_terminal_contains, replace_editor_text, shot, terminal_text, wait_editor_ready

FAILING = ["print('start')", "print(undefined_name)", "# line 3", "# line 4"]


@pytest.fixture(scope="module")
def teacher(observer_server: LiveServer) -> Teacher:
    return sign_in_teacher(observer_server)


def _tile(page: Page, name: str) -> Locator:
    return page.locator(f"[data-testid=student-tile][data-name={name}]")


@pytest.mark.timeout(300)
def test_the_teacher_sees_what_the_student_works_on_now(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, "Current work")
    ada = open_page("ada")
    open_as_student(ada, join_guest(observer_server, lesson["join_code"], "Ada"))
    staff = open_page("teacher")
    open_as_teacher(staff, teacher, f"/teach/{lesson['id']}")
    tile = _tile(staff, "Ada")
    expect(tile.get_by_test_id("tile-file")).to_have_text("main.py")

    # A new file: the tile shows it as soon as it is open, then its text as she types.
    ada.get_by_role("button", name="New file").click()
    ada.get_by_label("File name").fill("extra.py")
    ada.get_by_role("button", name="Create").click()
    wait_editor_ready(ada)
    expect(tile.get_by_test_id("tile-file")).to_have_text("extra.py")
    expect(tile).not_to_have_attribute("data-status", "typing")  # opening a file is not typing
    replace_editor_text(ada, ["print('extra work')"])
    expect(tile.get_by_test_id("tile-code")).to_contain_text("print('extra work')")
    shot(staff, output_dir, "1-tile-shows-the-new-file")

    # The teacher opens her: both files are there; she deletes extra.py and its tab goes.
    tile.click()
    expect(staff.get_by_test_id("student-focus")).to_be_visible()
    tabs = staff.locator("[data-testid=student-focus] [role=tablist][aria-label=Files] [role=tab]")
    expect(tabs).to_have_text(["main.py", "extra.py"])
    ada.get_by_role("button", name="Delete extra.py").click()
    ada.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(tabs).to_have_text(["main.py"])
    staff.get_by_role("link", name="← All students").click()
    expect(tile.get_by_test_id("tile-file")).to_have_text("main.py")
    expect(tile.get_by_test_id("tile-code")).not_to_contain_text("extra work")
    shot(staff, output_dir, "2-tile-back-on-main-after-the-delete")

    # A failing run, then a raised hand: the card names the cursor's line and the error's.
    wait_editor_ready(ada)
    replace_editor_text(ada, FAILING)  # the cursor ends on line 4
    ada.keyboard.press("ControlOrMeta+Enter")
    expect(ada.get_by_test_id("run-status")).to_have_attribute("data-status", "runtime-error", timeout=20_000)
    ada.get_by_label("What do you need help with?").fill("Why does it fail?")
    ada.get_by_role("button", name="Raise hand").click()
    card = staff.locator("[data-testid=help-item]", has_text="Ada")
    expect(card.get_by_test_id("help-cursor")).to_have_text("main.py, line 4 (cursor)")
    expect(card.get_by_test_id("help-error-line")).to_have_text("Error at main.py, line 2")
    shot(staff, output_dir, "3-help-card-with-the-error-line")

    # Opening the student shows the last run's output, not an empty mirror.
    tile.click()
    expect(staff.get_by_test_id("run-status")).to_have_attribute("data-status", "runtime-error")
    expect_terminal_contains(staff, "NameError: name 'undefined_name' is not defined")
    assert "next run appears here" not in terminal_text(staff)
    shot(staff, output_dir, "4-mirror-shows-the-last-run")

    # The student reloads: her last output is still there.
    ada.reload()
    wait_editor_ready(ada)
    expect(ada.get_by_test_id("run-status")).to_have_attribute("data-status", "runtime-error")
    expect(ada.get_by_test_id("run-status")).not_to_have_text("Not run yet")
    expect_terminal_contains(ada, "NameError: name 'undefined_name' is not defined")
    shot(ada, output_dir, "5-student-after-reload")

    # The session ends: "Ended", and no green "Live" beside it on either side.
    call(observer_server, "POST", f"/api/sessions/{lesson['id']}/end", {}, teacher.access)
    expect(ada.get_by_test_id("ended-banner")).to_be_visible()
    expect(ada.get_by_test_id("session-state")).to_have_text("Ended")
    staff.get_by_role("link", name="← All students").click()
    expect(staff.get_by_test_id("ended-notice")).to_be_visible()
    for page in (ada, staff):
        connection = page.get_by_test_id("connection")
        expect(connection).to_have_attribute("data-status", "connected")
        expect(connection).to_have_text("Connected")
        expect(page.locator(".topbar")).not_to_contain_text("Live")
    shot(ada, output_dir, "6-student-ended")
    shot(staff, output_dir, "7-teacher-ended")


@pytest.mark.timeout(240)
def test_a_refused_run_says_when_to_retry_once(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, "Many runs")
    rita = open_page("rita")
    open_as_student(rita, join_guest(observer_server, lesson["join_code"], "Rita"))
    replace_editor_text(rita, ["pass"])
    status = rita.get_by_test_id("run-status")
    run = rita.get_by_role("button", name=re.compile(r"Run"))
    for _ in range(30):  # the allowance is 10 runs a minute: run until refused
        expect(run).to_be_enabled(timeout=20_000)
        before = status.get_attribute("data-run-id") or "none"
        run.click()
        # The previous run's ending stays on screen until this click's request is under way.
        expect(status).not_to_have_attribute("data-run-id", before, timeout=20_000)
        expect(status).not_to_have_attribute("data-kind", re.compile("requested|queued|running"), timeout=20_000)
        if status.get_attribute("data-code") == "rate_limited":
            break
    expect(status).to_have_attribute("data-code", "rate_limited")
    text = status.inner_text()
    assert len(re.findall(r"try again", text, re.IGNORECASE)) == 1, text
    assert re.search(r"Try again in \d+ s", text), text
    shot(rita, output_dir, "refused-run")


@pytest.mark.timeout(120)
def test_the_join_form_explains_before_sending(open_page: Callable[..., Page], output_dir: Path) -> None:
    page = open_page("newcomer")
    joins: list[Request] = []
    page.on("request", lambda request: joins.append(request) if "/api/join" in request.url else None)
    page.goto("/join")
    page.get_by_label("Class code").fill("AB")
    page.get_by_label("Your name").fill("   ")
    page.get_by_role("button", name="Join class").click()
    expect(page.get_by_test_id("join-code-error")).to_have_text("A class code has 6 characters; this one has 2.")
    expect(page.get_by_test_id("join-name-error")).to_contain_text("A name of only spaces is not a name")
    expect(page.locator("form")).not_to_contain_text("display_name")
    shot(page, output_dir, "join-form-explains")
    page.wait_for_timeout(300)
    assert joins == [], "the form sent a join it knew was wrong"
