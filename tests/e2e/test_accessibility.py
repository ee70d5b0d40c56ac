"""WCAG 2.1 AA in a real browser: axe-core (from npm, injected by the test) on every page
and state of a class, in the light and the dark theme; every page has its own title and
one h1. Every state is checked before the test fails, so one run lists all that is wrong.
Screenshots go to test-results/e2e/<test>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import axe_violations, describe
from tests.e2e.classes import Teacher, call, join_guest, open_as_student, open_as_teacher, sign_in_teacher, start_class
from tests.e2e.server import LiveServer
from tests.e2e.test_operator_dashboard import ADMIN, create_admin
from tests.e2e.ui import expect_terminal_contains, replace_editor_text, shot, wait_editor_ready

LAPTOP = {"width": 1366, "height": 768}


class Audit:
    """axe, the title and the h1 of each state, gathered to fail once with everything."""

    def __init__(self, folder: Path, theme: str) -> None:
        self.folder = folder
        self.theme = theme
        self.problems: list[str] = []
        self.titles: dict[str, str] = {}

    def check(self, page: Page, state: str) -> None:
        page.wait_for_timeout(150)  # let a transition (focus ring, fade-in) settle before axe reads colours
        violations = axe_violations(page)
        if violations:
            self.problems.append(f"{state} ({self.theme}):\n{describe(violations)}")
        title = page.title()
        self.titles[state] = title
        if not re.fullmatch(r".+ · Observer|Observer", title) or title == "Observer":
            self.problems.append(f"{state} ({self.theme}): the page title is {title!r}, not '<what> · Observer'")
        h1 = page.locator("h1").count()
        if h1 != 1:
            self.problems.append(f"{state} ({self.theme}): {h1} h1 elements, not one")
        shot(page, self.folder, f"{self.theme}-{len(self.titles):02d}-{re.sub(r'[^a-z0-9]+', '-', state.lower())}")

    def finish(self) -> None:
        assert not self.problems, "\n\n".join(self.problems)


@pytest.fixture(scope="module")
def teacher(observer_server: LiveServer) -> Teacher:
    return sign_in_teacher(observer_server)


@pytest.mark.timeout(420)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_state_passes_axe_wcag_21_aa(
    theme: str, open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    audit = Audit(output_dir, theme)
    lesson = start_class(observer_server, teacher, f"Access {theme}", "Fix the **error** on line 2.")

    visitor = open_page("visitor", viewport=LAPTOP, color_scheme=theme)
    visitor.goto("/login")
    expect(visitor.get_by_label("Username")).to_be_visible()
    audit.check(visitor, "sign-in")
    visitor.goto("/register")
    expect(visitor.get_by_role("button", name=re.compile("Create account|Register"))).to_be_visible()
    audit.check(visitor, "register")
    visitor.goto("/join")
    expect(visitor.get_by_label("Class code")).to_be_visible()
    audit.check(visitor, "join")
    visitor.get_by_label("Class code").fill("AB")
    visitor.get_by_role("button", name="Join class").click()
    expect(visitor.get_by_test_id("join-code-error")).to_be_visible()
    audit.check(visitor, "join with an error")

    join_guest(observer_server, lesson["join_code"], "Omar")  # joins and never connects: an offline tile
    student = open_page("student", viewport=LAPTOP, color_scheme=theme)
    open_as_student(student, join_guest(observer_server, lesson["join_code"], "Grace"))
    audit.check(student, "workspace before a run")
    replace_editor_text(student, ["print('start')", "print(undefined_name)"])
    student.keyboard.press("ControlOrMeta+Enter")
    expect(student.get_by_test_id("run-status")).to_have_attribute("data-status", "runtime-error", timeout=20_000)
    expect_terminal_contains(student, "NameError")
    audit.check(student, "workspace after a run")
    student.get_by_role("button", name="New file").click()
    expect(student.get_by_role("dialog")).to_be_visible()
    audit.check(student, "new file dialog")
    student.keyboard.press("Escape")
    expect(student.get_by_role("dialog")).to_have_count(0)
    student.get_by_label("What do you need help with?").fill("What is a NameError?")
    student.get_by_role("button", name="Raise hand").click()
    expect(student.get_by_test_id("help-panel")).to_have_attribute("data-state", "open")
    student.get_by_text("Keyboard shortcuts").click()
    expect(student.get_by_test_id("keyboard-help").get_by_text("Leave the terminal")).to_be_visible()
    audit.check(student, "workspace with a hand raised and the keyboard map open")

    staff = open_page("teacher", viewport=LAPTOP, color_scheme=theme)
    open_as_teacher(staff, teacher, "/teach")
    expect(staff.get_by_text(f"Access {theme}").first).to_be_visible()
    audit.check(staff, "sessions list")
    staff.goto(f"/teach/{lesson['id']}")
    expect(staff.locator("[data-testid=student-tile][data-status=help]")).to_be_visible()
    expect(staff.get_by_test_id("help-item")).to_contain_text("What is a NameError?")
    expect(staff.get_by_test_id("connection")).to_have_attribute("data-status", "connected")
    expect(staff.locator("[data-testid=student-tile][data-name=Omar]")).to_contain_text("Offline")
    audit.check(staff, "live dashboard")
    staff.get_by_role("tab", name="Analytics").click()
    expect(staff.get_by_test_id("analytics")).to_be_visible()
    audit.check(staff, "analytics")
    staff.get_by_role("tab", name="Session").click()
    expect(staff.get_by_role("button", name="Save changes")).to_be_visible()
    audit.check(staff, "session settings")
    staff.get_by_role("tab", name="Students").click()

    staff.locator("[data-testid=student-tile][data-name=Grace]").click()
    expect(staff.get_by_test_id("student-focus")).to_be_visible()
    wait_editor_ready(staff)
    expect_terminal_contains(staff, "NameError")
    audit.check(staff, "one student's view")
    staff.get_by_role("tab", name="Replay").click()
    expect(staff.get_by_test_id("replay")).to_be_visible()
    audit.check(staff, "replay")

    staff.goto(f"/teach/{lesson['id']}")
    staff.get_by_role("button", name="End session").click()
    expect(staff.get_by_role("dialog")).to_be_visible()
    audit.check(staff, "end-session dialog")
    staff.get_by_role("dialog").get_by_role("button", name="End session").click()
    expect(staff.get_by_test_id("ended-notice")).to_be_visible()
    audit.check(staff, "ended dashboard")
    expect(student.get_by_test_id("ended-banner")).to_be_visible()
    audit.check(student, "workspace after the end")

    create_admin(observer_server)
    admin = call(observer_server, "POST", "/api/auth/login",
                 {"username": ADMIN, "password": observer_server.teacher_password})  # fmt: skip
    operator = open_page("operator", viewport=LAPTOP, color_scheme=theme)
    open_as_teacher(operator, Teacher(admin["access"], admin["refresh"]), "/operator")
    expect(operator.get_by_test_id("figure-runs-value")).to_be_visible(timeout=20_000)
    expect(operator.get_by_test_id("executions-count")).to_be_visible()
    audit.check(operator, "operator dashboard")

    pages = {"sign-in", "register", "join", "workspace before a run", "sessions list", "live dashboard",
             "one student's view", "operator dashboard"}  # fmt: skip
    titles = {state: audit.titles[state] for state in pages}
    if len(set(titles.values())) != len(titles):
        audit.problems.append(f"pages share a title: {titles}")
    audit.finish()


# A 1366x768 laptop at 200% zoom lays the page out in 683x384 CSS pixels.
ZOOMED = {"width": 683, "height": 384}
VISIBLE_ROWS = """() => {
  const editor = document.querySelector("[data-testid=code-editor] .monaco-editor");
  const line = document.querySelector("[data-testid=code-editor] .view-line");
  const screen = document.querySelector("[data-testid=terminal] .xterm-screen");
  const row = document.querySelector("[data-testid=terminal] .xterm-rows > div");
  return {
    editor: editor.getBoundingClientRect().height / line.getBoundingClientRect().height,
    terminal: screen.getBoundingClientRect().height / row.getBoundingClientRect().height,
  };
}"""


@pytest.mark.timeout(180)
def test_the_editor_and_terminal_stay_usable_at_200_percent_zoom(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, "Zoomed")
    student = open_page("student", viewport=ZOOMED)
    open_as_student(student, join_guest(observer_server, lesson["join_code"], "Zoe"))
    rows = student.evaluate(VISIBLE_ROWS)
    assert rows["editor"] >= 10 and rows["terminal"] >= 6, f"at 200% zoom only {rows} lines show"
    scroll_width = student.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= ZOOMED["width"], f"the page scrolls sideways at 200% zoom ({scroll_width} px)"
    shot(student, output_dir, "workspace-at-200-percent")
    student.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    shot(student, output_dir, "workspace-at-200-percent-scrolled")

    staff = open_page("teacher", viewport=ZOOMED)
    open_as_teacher(staff, teacher, f"/teach/{lesson['id']}")
    staff.get_by_test_id("student-tile").first.click()
    wait_editor_ready(staff)
    rows = staff.evaluate(VISIBLE_ROWS)
    assert rows["editor"] >= 10 and rows["terminal"] >= 6, f"the student's view at 200% zoom shows only {rows}"
    shot(staff, output_dir, "student-view-at-200-percent")
