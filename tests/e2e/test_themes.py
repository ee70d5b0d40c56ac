"""Light and dark: the app follows the system's setting (Playwright's `color_scheme`),
the header's switch overrides it and is remembered, Monaco and the terminal follow, and
every text on the student's and the teacher's screens reads at WCAG AA in both themes.
Screenshots go to test-results/e2e/<test>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.classes import Teacher, call, join_guest, open_as_student, open_as_teacher, sign_in_teacher, start_class
from tests.e2e.server import LiveServer
from tests.e2e.ui import expect_terminal_contains, replace_editor_text, shot, wait_editor_ready

LAPTOP = {"width": 1366, "height": 768}
TERMINAL_BACKGROUND = {"light": "rgb(251, 252, 254)", "dark": "rgb(16, 21, 31)"}

# WCAG AA for every visible text outside the editor and the terminal (their themes are
# checked on their own): 4.5:1, or 3:1 for large text; disabled controls are exempt.
# Colours are composed as drawn: translucent backgrounds over what is below, and the
# opacity of every ancestor.
LOW_CONTRAST = """() => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => { const [h, l] = [lum(a), lum(b)].sort((x, y) => y - x); return (h + 0.05) / (l + 0.05); };
  const backgroundOf = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let base = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
    return base;
  };
  const opacityOf = (element) => {
    let o = 1;
    for (let e = element; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const failures = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = (walker.currentNode.textContent || "").trim();
    const element = walker.currentNode.parentElement;
    if (!text || !element || seen.has(element)) continue;
    seen.add(element);
    if (element.closest(".monaco-editor, .xterm, :disabled, [aria-disabled=true]")) continue;
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    if (box.width <= 1 || box.height <= 1 || style.visibility === "hidden") continue;
    const background = backgroundOf(element);
    const colour = parse(style.color);
    const text_colour = over({...colour, a: colour.a * opacityOf(element)}, background);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    const need = large ? 3 : 4.5;
    const got = ratio(text_colour, background);
    const where = `<${element.tagName.toLowerCase()} class="${element.className}">`;
    if (got < need) failures.push(`"${text.slice(0, 40)}" ${where}: ${got.toFixed(2)} < ${need}`);
  }
  return failures;
}"""


def assert_readable(page: Page, where: str) -> None:
    failures = page.evaluate(LOW_CONTRAST)
    assert failures == [], f"{where}: text below WCAG AA contrast:\n" + "\n".join(failures)


def assert_theme(page: Page, theme: str) -> None:
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    expect(page.get_by_test_id("code-editor")).to_have_attribute("data-theme", "vs-dark" if theme == "dark" else "vs")
    expect(page.locator("[data-testid=code-editor] .monaco-editor")).to_have_class(
        re.compile(r"\bvs-dark\b" if theme == "dark" else r"\bvs\b")
    )
    viewport = page.locator("[data-testid=terminal] .xterm-viewport")
    background = viewport.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == TERMINAL_BACKGROUND[theme], f"the terminal is {background} in the {theme} theme"


@pytest.fixture(scope="module")
def teacher(observer_server: LiveServer) -> Teacher:
    return sign_in_teacher(observer_server)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_follows_the_system_theme_and_reads_at_wcag_aa(
    scheme: str, open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, f"Theme {scheme}", "Fix the **error** on line 2.")
    student = open_page("student", viewport=LAPTOP, color_scheme=scheme)
    student.goto("/join")
    student.get_by_label("Class code").fill("AB")
    student.get_by_role("button", name="Join class").click()
    expect(student.get_by_test_id("join-code-error")).to_be_visible()
    assert_readable(student, f"join page, {scheme}")
    shot(student, output_dir, f"{scheme}-0-join")
    open_as_student(student, join_guest(observer_server, lesson["join_code"], "Grace"))
    assert_theme(student, scheme)
    replace_editor_text(student, ["print('start')", "print(undefined_name)"])
    student.keyboard.press("ControlOrMeta+Enter")
    expect_terminal_contains(student, "NameError")
    student.get_by_label("What do you need help with?").fill("What is a NameError?")
    student.get_by_role("button", name="Raise hand").click()
    expect(student.get_by_test_id("help-panel")).to_have_attribute("data-state", "open")
    assert_readable(student, f"workspace, {scheme}")
    shot(student, output_dir, f"{scheme}-1-workspace")

    staff = open_page("teacher", viewport=LAPTOP, color_scheme=scheme)
    open_as_teacher(staff, teacher, "/teach")
    expect(staff.get_by_text(f"Theme {scheme}").first).to_be_visible()
    assert_readable(staff, f"sessions list, {scheme}")
    staff.goto(f"/teach/{lesson['id']}")
    expect(staff.locator("[data-testid=student-tile][data-status=help]")).to_be_visible()
    expect(staff.get_by_test_id("help-item")).to_contain_text("What is a NameError?")
    expect(staff.locator("html")).to_have_attribute("data-theme", scheme)
    assert_readable(staff, f"dashboard, {scheme}")
    shot(staff, output_dir, f"{scheme}-2-dashboard")
    staff.get_by_test_id("student-tile").first.click()
    wait_editor_ready(staff)
    assert_theme(staff, scheme)
    assert_readable(staff, f"student focus, {scheme}")
    shot(staff, output_dir, f"{scheme}-3-focus")


@pytest.mark.timeout(180)
def test_the_switch_overrides_the_system_and_is_remembered(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    lesson = start_class(observer_server, teacher, "Theme switch")
    student = open_page("student", viewport=LAPTOP, color_scheme="dark")
    open_as_student(student, join_guest(observer_server, lesson["join_code"], "Linus"))
    switch = student.get_by_test_id("theme-switch")
    expect(switch).to_have_attribute("data-preference", "system")
    assert_theme(student, "dark")

    switch.click()  # system -> light, although the system is dark
    expect(switch).to_have_attribute("data-preference", "light")
    assert_theme(student, "light")
    shot(student, output_dir, "1-light-on-a-dark-system")
    student.reload()
    wait_editor_ready(student)
    expect(switch).to_have_attribute("data-preference", "light")
    assert_theme(student, "light")

    switch.click()  # light -> dark
    assert_theme(student, "dark")
    switch.click()  # dark -> as the system, which now turns light
    expect(switch).to_have_attribute("data-preference", "system")
    student.emulate_media(color_scheme="light")
    assert_theme(student, "light")
    student.emulate_media(color_scheme="dark")
    assert_theme(student, "dark")
    shot(student, output_dir, "2-back-to-the-system")


@pytest.mark.timeout(180)
def test_the_operator_dashboard_reads_in_the_dark(
    open_page: Callable[..., Page], observer_server: LiveServer, teacher: Teacher, output_dir: Path
) -> None:
    from tests.e2e.test_operator_dashboard import ADMIN, create_admin

    create_admin(observer_server)
    lesson = start_class(observer_server, teacher, "Operator dark")
    student = open_page("student", viewport=LAPTOP, color_scheme="dark")
    open_as_student(student, join_guest(observer_server, lesson["join_code"], "Ops"))
    student.keyboard.press("ControlOrMeta+Enter")
    expect(student.get_by_test_id("run-status")).to_have_attribute("data-status", "ok", timeout=20_000)
    admin = call(observer_server, "POST", "/api/auth/login",
                 {"username": ADMIN, "password": observer_server.teacher_password})  # fmt: skip
    operator = open_page("operator", viewport=LAPTOP, color_scheme="dark")
    open_as_teacher(operator, Teacher(admin["access"], admin["refresh"]), "/operator")
    expect(operator.get_by_test_id("figure-runs-value")).to_be_visible(timeout=20_000)
    expect(operator.get_by_test_id("executions-count")).to_be_visible()
    expect(operator.locator("html")).to_have_attribute("data-theme", "dark")
    assert_readable(operator, "operator dashboard, dark")
    shot(operator, output_dir, "operator-dark")
