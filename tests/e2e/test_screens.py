"""The workspace and the teacher's views fit the screens students and teachers have: a
laptop, a small laptop and a phone, and a window resized while the page is open. Nothing
may scroll sideways or sit outside the viewport, and the editor and terminal follow
their box instead of covering the panel beside them. Screenshots go to
test-results/e2e/<test>/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.classes import Teacher, join_guest, open_as_student, open_as_teacher, sign_in_teacher, start_class
from tests.e2e.server import LiveServer
from tests.e2e.ui import join_class, replace_editor_text, shot, wait_editor_ready

SCREENS = {"laptop": (1366, 768), "small-laptop": (1024, 700), "phone": (390, 844)}

WORKSPACE_PANELS = [
    ".topbar", ".toolbar", "[data-testid=code-editor]", "[data-testid=code-editor] .monaco-editor",
    "[data-testid=terminal]", "[data-testid=terminal] .xterm-screen", "[data-testid=help-panel]",
]  # fmt: skip
DASHBOARD_PANELS = [".topbar", "[data-testid=join-code]", "[data-testid=student-tile]", "[data-testid=help-queue]"]
FOCUS_PANELS = [
    ".topbar", "[data-testid=code-editor] .monaco-editor", "[data-testid=terminal] .xterm-screen",
    "[data-testid=help-queue]",
]  # fmt: skip

# Where each panel's box is, and how wide the document is, against the viewport.
MEASURE = """(selectors) => {
  const width = window.innerWidth;
  const outside = [];
  const missing = [];
  for (const selector of selectors) {
    const element = document.querySelector(selector);
    if (!element) { missing.push(selector); continue; }
    const box = element.getBoundingClientRect();
    if (box.left < -0.5 || box.right > width + 0.5) {
      outside.push(`${selector}: ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  const scrollWidth = document.documentElement.scrollWidth;
  return {width, scrollWidth, bodyScrollWidth: document.body.scrollWidth, outside, missing};
}"""

# Whether the middle of an element is really it (not something drawn over it).
ON_TOP = """(element) => {
  element.scrollIntoView({block: "center", inline: "center"});
  const box = element.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return !!hit && (hit === element || element.contains(hit));
}"""


def assert_fits(page: Page, selectors: list[str], where: str) -> None:
    seen: dict[str, Any] = page.evaluate(MEASURE, selectors)
    assert not seen["missing"], f"{where}: not on the page: {seen['missing']}"
    assert seen["scrollWidth"] <= seen["width"] and seen["bodyScrollWidth"] <= seen["width"], (
        f"{where}: the page is {seen['scrollWidth']} px wide in a {seen['width']} px viewport (it scrolls sideways)"
    )
    assert not seen["outside"], f"{where}: panels outside the {seen['width']} px viewport: {seen['outside']}"


def assert_not_covered(page: Page, selector: str, where: str) -> None:
    assert page.locator(selector).first.evaluate(ON_TOP), f"{where}: something is drawn over {selector}"


def assert_beside_not_over(page: Page, where: str) -> None:
    """On a wide screen the editor and terminal end where the side panel begins."""
    side = page.locator(".ws-side").bounding_box()
    assert side is not None
    for selector in ("[data-testid=code-editor] .monaco-editor", "[data-testid=terminal] .xterm-screen"):
        box = page.locator(selector).bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= side["x"] + 0.5, (
            f"{where}: {selector} ends at {box['x'] + box['width']:.0f} px, over the side panel at {side['x']:.0f} px"
        )


@pytest.fixture(scope="module")
def teacher(observer_server: LiveServer) -> Teacher:
    return sign_in_teacher(observer_server)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_it_fits_every_screen(
    screen: str, open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    width, height = SCREENS[screen]
    viewport = {"width": width, "height": height}
    lesson = start_class(observer_server, teacher, f"Screens {screen}", "Print the numbers **1 to 3**.")
    student = open_page("student", viewport=viewport)

    student.goto("/join")
    assert_fits(student, [".topbar", "#join-code", "#join-name"], f"join page at {screen}")
    shot(student, output_dir, f"{screen}-1-join")
    join_class(student, lesson["join_code"], "Ada Lovelace-Byron")
    replace_editor_text(student, ["for i in range(1, 4):", "    print(i)"])
    student.keyboard.press("ControlOrMeta+Enter")
    expect(student.get_by_test_id("run-status")).to_have_attribute("data-status", "ok", timeout=20_000)
    student.evaluate("window.scrollTo(0, 0)")
    assert_fits(student, WORKSPACE_PANELS, f"workspace at {screen}")
    assert_not_covered(student, "[data-testid=help-panel] button", f"workspace at {screen}")
    assert_not_covered(student, "[data-testid=terminal]", f"workspace at {screen}")
    if screen != "phone":
        assert_beside_not_over(student, f"workspace at {screen}")
    student.evaluate("window.scrollTo(0, 0)")
    shot(student, output_dir, f"{screen}-2-workspace")
    if screen == "phone":
        student.get_by_test_id("help-panel").scroll_into_view_if_needed()
        shot(student, output_dir, f"{screen}-3-workspace-help")

    staff = open_page("teacher", viewport=viewport)
    open_as_teacher(staff, teacher, f"/teach/{lesson['id']}")
    tile = staff.locator("[data-testid=student-tile]").first
    expect(tile).to_be_visible()
    assert_fits(staff, DASHBOARD_PANELS, f"dashboard at {screen}")
    shot(staff, output_dir, f"{screen}-4-dashboard")
    tile.click()
    expect(staff.get_by_test_id("student-focus")).to_be_visible()
    wait_editor_ready(staff)
    assert_fits(staff, FOCUS_PANELS, f"student focus at {screen}")
    assert_not_covered(staff, "[data-testid=terminal]", f"student focus at {screen}")
    staff.evaluate("window.scrollTo(0, 0)")
    shot(staff, output_dir, f"{screen}-5-focus")


@pytest.mark.timeout(180)
def test_the_editor_and_terminal_follow_a_resized_window(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, "Resizing")
    student = open_page("student", viewport={"width": 1280, "height": 800})
    open_as_student(student, join_guest(observer_server, lesson["join_code"], "Resi"))
    assert_beside_not_over(student, "at 1280x800")
    shot(student, output_dir, "1-at-1280x800")

    student.set_viewport_size({"width": 1024, "height": 700})
    student.wait_for_timeout(500)  # one resize observer round and a frame
    assert_fits(student, WORKSPACE_PANELS, "after resizing to 1024x700")
    assert_beside_not_over(student, "after resizing to 1024x700")
    assert_not_covered(student, "[data-testid=help-panel] button", "after resizing to 1024x700")
    shot(student, output_dir, "2-resized-to-1024x700")

    student.set_viewport_size({"width": 390, "height": 844})
    student.wait_for_timeout(500)
    student.evaluate("window.scrollTo(0, 0)")
    assert_fits(student, WORKSPACE_PANELS, "after resizing to 390x844")
    shot(student, output_dir, "3-resized-to-390x844")
