"""Keyboard only, as a blind or keyboard-only student and teacher work: no clicks, only
Tab, arrows, Enter and typing. A student joins, types, runs, reads the output and raises
a hand; a teacher reaches a tile, opens it, answers the hand and ends the session. The
editor and terminal let go of the focus, and live regions say what happened.
Screenshots go to test-results/e2e/<test>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.classes import Teacher, call, join_guest, open_as_student, open_as_teacher, sign_in_teacher, start_class
from tests.e2e.server import LiveServer
from tests.e2e.ui import editor_text, expect_terminal_contains, replace_editor_text, shot, wait_editor_ready

FOCUSED = """() => {
  const e = document.activeElement;
  if (!e) return null;
  const label = e.labels && e.labels[0] && e.labels[0].textContent;
  const name = e.getAttribute("aria-label") || label || e.textContent || "";
  return {
    tag: e.tagName.toLowerCase(), id: e.id, role: e.getAttribute("role") || "",
    name: name.replace(/\\s+/g, " ").trim().slice(0, 300), testid: e.getAttribute("data-testid") || "",
    inEditor: !!e.closest("[data-testid=code-editor] .monaco-editor"),
    inTerminal: !!e.closest("[data-testid=terminal]"),
    inDialog: !!e.closest("[role=dialog]"),
  };
}"""


def focused(page: Page) -> dict[str, Any]:
    return dict(page.evaluate(FOCUSED) or {})


Wanted = Callable[[dict[str, Any]], bool]


def tab_until(page: Page, wanted: Wanted, what: str, key: str = "Tab", most: int = 60) -> None:
    """Presses Tab (or `key`) until the focused element is `wanted`; fails naming the path."""
    path = []
    for _ in range(most):
        page.keyboard.press(key)
        now = focused(page)
        if wanted(now):
            return
        path.append(f"{now.get('tag')}#{now.get('id')}[{now.get('name', '')[:40]}]")
    raise AssertionError(f"{key} never reached {what}; it went: {' > '.join(path)}")


def named(text: str) -> Wanted:
    return lambda f: text in str(f.get("name", ""))


@pytest.fixture(scope="module")
def teacher(observer_server: LiveServer) -> Teacher:
    return sign_in_teacher(observer_server)


@pytest.mark.timeout(240)
def test_a_student_joins_runs_reads_and_raises_a_hand_by_keyboard(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, "Keyboard student")
    page = open_page("student")
    page.goto("/join")
    tab_until(page, lambda f: f["id"] == "join-code", "the class code field")
    page.keyboard.type(lesson["join_code"])
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "join-name"
    page.keyboard.type("Kim")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("workspace")).to_be_visible()
    wait_editor_ready(page)
    # After the route change the focus is on the page's heading, not lost on the body.
    expect(page.locator("h1")).to_be_focused()
    expect(page).to_have_title(re.compile(r"Keyboard student .*· Observer"))

    # Into the editor with Tab; type a program.
    tab_until(page, lambda f: f["inEditor"], "the editor")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text('print("sum is", 2 + 3)')
    # Ctrl+M: Tab now leaves the editor instead of indenting (the button shows the mode).
    page.keyboard.press("Control+m")
    expect(page.get_by_test_id("tab-mode")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")
    assert not focused(page)["inEditor"], "Tab stayed in the editor in tab-focus mode"
    assert editor_text(page).rstrip() == 'print("sum is", 2 + 3)', "Tab typed into the editor"
    page.keyboard.press("Shift+Tab")
    assert focused(page)["inEditor"]
    page.keyboard.press("Control+m")  # back to Tab indenting
    expect(page.get_by_test_id("tab-mode")).to_have_attribute("aria-pressed", "false")

    # Run from the editor: the focus stays there (the program reads no input), and the
    # live region says how the run ended.
    page.keyboard.press("ControlOrMeta+Enter")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "ok", timeout=20_000)
    expect(page.get_by_test_id("run-announcer")).to_contain_text("Your program finished")
    assert focused(page)["inEditor"], f"the run moved the focus to {focused(page)}"

    # Escape leaves the editor for the Run button.
    page.keyboard.press("Escape")
    assert focused(page)["name"] == "▶ Run", focused(page)
    # The output is readable: xterm's screen-reader tree has it. The skip link reaches the
    # terminal (Tab through the editor would indent: Ctrl+M is off again), and Tab and
    # Shift+Tab leave it (no trap).
    expect(page.locator("[data-testid=terminal] .xterm-accessibility-tree")).to_contain_text("sum is 5")
    tab_until(page, named("Skip to the terminal"), "the skip link to the terminal", key="Shift+Tab")
    page.keyboard.press("Enter")
    assert focused(page)["inTerminal"], focused(page)
    page.keyboard.press("Tab")
    assert not focused(page)["inTerminal"], "Tab stayed in the terminal"
    page.keyboard.press("Shift+Tab")
    assert focused(page)["inTerminal"]
    page.keyboard.press("Shift+Tab")
    assert not focused(page)["inTerminal"], "Shift+Tab stayed in the terminal"

    # Raise a hand: out of the editor (Escape), the skip link to help, type, Tab, Enter.
    assert focused(page)["inEditor"], focused(page)
    page.keyboard.press("Escape")
    tab_until(page, named("Skip to help"), "the skip link to help", key="Shift+Tab")
    page.keyboard.press("Enter")
    assert focused(page)["name"] == "What do you need help with?", focused(page)
    page.keyboard.type("Is this right?")
    tab_until(page, named("Raise hand"), "Raise hand")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("help-panel")).to_have_attribute("data-state", "open")
    expect(page.get_by_test_id("help-status")).to_contain_text("Hand raised")
    # (The live event may switch the panel before the answer arrives: wait for the focus.)
    expect(page.get_by_role("button", name="Lower hand")).to_be_focused()
    shot(page, output_dir, "student-hand-raised")


@pytest.mark.timeout(240)
def test_a_teacher_opens_a_student_answers_a_hand_and_ends_by_keyboard(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, "Keyboard teacher")
    lee = join_guest(observer_server, lesson["join_code"], "Lee")
    page = open_page("teacher")
    open_as_teacher(page, teacher, f"/teach/{lesson['id']}")
    tile = page.locator("[data-testid=student-tile][data-name=Lee]")
    expect(tile).to_be_visible()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "connected")

    # A hand goes up while the teacher watches: the dashboard's live region says so.
    call(observer_server, "POST", f"/api/participants/{lee.participant_id}/help", {"message": "Loop help"}, lee.token)
    expect(tile).to_have_attribute("data-status", "help")
    expect(page.get_by_test_id("class-announcer")).to_contain_text("Lee raised a hand: Loop help.")

    # The view tabs follow the arrow keys.
    tab_until(page, lambda f: f["role"] == "tab" and f["name"] == "Students", "the Students tab")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Analytics")).to_be_focused()
    expect(page.get_by_role("tab", name="Analytics")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Students")).to_have_attribute("aria-selected", "true")

    # Reach Lee's tile: its name says what it shows; Enter opens it.
    tab_until(page, lambda f: f["testid"] == "student-tile", "a student tile")
    name = focused(page)["name"]
    assert "Lee" in name and "Loop help" in name and "Needs help" in name, name
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("student-focus")).to_be_visible()
    wait_editor_ready(page)
    expect(page.locator("h1")).to_be_focused()
    expect(page).to_have_title(re.compile(r"Lee .*· Keyboard teacher · Observer"))

    # Answer the hand: the skip link to the queue (Tab through the editor would indent),
    # Claim, then Resolve (the focus moves to it when Claim goes).
    tab_until(page, named("Skip to the help queue"), "the skip link to the help queue", key="Shift+Tab")
    page.keyboard.press("Enter")
    tab_until(page, named("Claim"), "Claim")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("help-item")).to_contain_text("Claimed")
    expect(page.get_by_role("button", name="Resolve")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("help-item")).to_have_count(0)

    expect(page.get_by_test_id("help-queue").locator("h2")).to_be_focused()  # not lost on the body

    # Back to all students: Shift+Tab into the editor, Escape out of it (to the Live tab),
    # on to the way back; then End session through the dialog.
    tab_until(page, lambda f: f["inEditor"], "the editor", key="Shift+Tab")
    page.keyboard.press("Escape")
    expect(page.get_by_role("tab", name="Live")).to_be_focused()
    tab_until(page, named("← All students"), "the way back", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("dashboard")).to_be_visible()
    tab_until(page, named("End session"), "End session")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert focused(page)["inDialog"]
    for _ in range(4):  # Tab goes round inside the dialog
        page.keyboard.press("Tab")
        assert focused(page)["inDialog"], f"Tab left the dialog for {focused(page)}"
    page.keyboard.press("Escape")  # closing gives the focus back to the button that opened it
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="End session")).to_be_focused()
    page.keyboard.press("Enter")
    tab_until(page, lambda f: f["inDialog"] and f["name"] == "End session", "the dialog's End session")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("ended-notice")).to_be_visible()
    expect(page.get_by_test_id("ended-notice")).to_be_focused()
    expect(page).to_have_title(re.compile(r"\(ended\)"))
    shot(page, output_dir, "teacher-ended")


@pytest.mark.timeout(180)
def test_run_moves_the_focus_to_the_terminal_only_for_a_program_that_waits_for_input(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, "Keyboard input")
    page = open_page("student")
    open_as_student(page, join_guest(observer_server, lesson["join_code"], "Ina"))
    replace_editor_text(page, ['name = input("Name? ")', 'print("Hi " + name)'])
    page.keyboard.press("ControlOrMeta+Enter")
    # The prompt ends without a line end and the program waits: the focus follows to the
    # terminal, so the student types the answer without reaching for it.
    expect_terminal_contains(page, "Name? ")
    page.wait_for_function("() => !!document.activeElement?.closest('[data-testid=terminal]')", timeout=10_000)
    page.keyboard.type("Ina")
    page.keyboard.press("Enter")
    expect_terminal_contains(page, "Hi Ina")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "ok")
    expect(page.get_by_test_id("run-announcer")).to_contain_text("Your program finished")
    shot(page, output_dir, "answered-input-by-keyboard")
