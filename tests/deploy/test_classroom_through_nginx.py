"""A class through the shipped nginx site over HTTPS and WSS, with the teacher and the
student on different server processes, and a rolling restart in the middle of it: the
student's process stops while they type; their browser reconnects to the other process,
nothing typed is lost, and the terminal says what became of the running program."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.deploy.stack import ROOT, Instance, Stack
from tests.e2e.ui import (
    editor_text,
    expect_editor_text,
    expect_terminal_contains,
    join_class,
    new_page,
    replace_editor_text,
    sign_in,
    terminal_text,
    wait_editor_ready,
)

pytestmark = pytest.mark.e2e

GREETER = ['name = input("Name? ")', 'print("Hello, " + name + "!")']
DURING_RESTART = 'print("typed while its server restarted")'


def _sockets(instance: Instance, kind: str) -> list[str]:
    """The WebSocket paths of `kind` (sessions, documents, terminal) this process accepted
    (the server's log: `"WebSocket /ws/terminal/12/" [accepted]`)."""
    return re.findall(rf'"WebSocket (/ws/{kind}/[^/"?]+/)[^"]*" \[accepted\]', instance.log_text())


@pytest.fixture
def pages(browser: Browser, stack: Stack) -> Iterator[dict[str, Page]]:
    """The teacher's and the student's pages, each in its own context; the test fails on a
    CSP violation or on a request anywhere but the site."""
    opened: dict[str, Page] = {}
    consoles: dict[str, list[str]] = {}
    foreign: list[str] = []

    def page_for(who: str) -> Page:
        page = new_page(browser, stack.base_url, foreign, ignore_https_errors=True)
        consoles[who] = []
        page.on("console", lambda msg: consoles[who].append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: consoles[who].append(f"pageerror: {exc}"))
        opened[who] = page
        return page

    yield {"teacher": page_for("teacher"), "student": page_for("student")}
    output = ROOT / "test-results" / "deploy"
    output.mkdir(parents=True, exist_ok=True)
    for who, page in opened.items():
        try:
            page.screenshot(path=str(output / f"last-{who}.png"))
        except Exception as exc:  # noqa: BLE001 - a closed page must not hide the test's own failure
            consoles[who].append(f"(no screenshot: {exc})")
        Path(output / f"console-{who}.log").write_text("\n".join(consoles[who]))
        page.context.close()
    violations = [line for lines in consoles.values() for line in lines if "Content Security Policy" in line]
    assert not violations, violations
    assert not foreign, foreign


def _type_during(page: Page, text: str, action: threading.Thread) -> None:
    """Types `text` at the end of the editor while `action` runs."""
    page.locator("[data-testid=code-editor] .view-lines").click()
    page.keyboard.press("ControlOrMeta+End")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Delete")
    action.start()
    for char in text:
        page.keyboard.type(char)
        page.wait_for_timeout(60)
    action.join(timeout=60)


@pytest.mark.timeout(420)
def test_a_class_survives_a_rolling_restart_behind_nginx(stack: Stack, pages: dict[str, Page]) -> None:
    teacher, student = pages["teacher"], pages["student"]
    first, second = stack.instances

    # The teacher signs in and starts a session on the first process only.
    stack.route_only_to(first.port)
    sign_in(teacher, "teacher", stack.teacher_password)
    teacher.get_by_role("button", name="+ New session").click()
    teacher.get_by_label("Title").fill("Through nginx")
    teacher.get_by_role("button", name="Create session").click()
    teacher.get_by_role("button", name="▶ Start session").click()
    code = teacher.get_by_test_id("join-code").inner_text().strip()
    expect(teacher.get_by_test_id("connection")).to_have_attribute("data-status", "connected")
    dashboard_url = teacher.url

    # The student joins on the second process only; then nginx routes as shipped again.
    stack.route_only_to(second.port)
    join_class(student, code, "Ada")
    stack.route_only_to()
    assert _sockets(first, "sessions")  # the teacher
    student_sockets = {kind: _sockets(second, kind) for kind in ("sessions", "documents", "terminal")}
    assert all(student_sockets.values()), student_sockets
    assert not _sockets(first, "terminal") and not _sockets(first, "documents")

    # Typing crosses processes (through Redis) to the teacher's tile.
    tile = teacher.locator("[data-testid=student-tile][data-name=Ada]")
    expect(tile).to_be_visible()
    replace_editor_text(student, GREETER)
    expect(tile.get_by_test_id("tile-code")).to_contain_text('print("Hello, " + name + "!")', timeout=20_000)

    # A run, with input, over WSS.
    student.keyboard.press("ControlOrMeta+Enter")
    expect_terminal_contains(student, "Name? ")
    student.get_by_test_id("terminal").click()
    student.keyboard.type("Ada")
    student.keyboard.press("Enter")
    expect_terminal_contains(student, "Hello, Ada!")
    expect(student.get_by_test_id("run-status")).to_have_attribute("data-status", "ok")

    # A raised hand reaches the teacher on the other process.
    student.get_by_label("What do you need help with?").fill("Is this right?")
    student.get_by_role("button", name="Raise hand").click()
    expect(teacher.locator("[data-testid=help-item]", has_text="Ada")).to_contain_text("Is this right?")

    # Rolling restart, first half: a program waits for input on the student's process;
    # that process stops (SIGTERM, as systemctl stop) while the student types.
    student.keyboard.press("ControlOrMeta+Enter")
    expect_terminal_contains(student, "Name? ")
    stopped: list[int | None] = []
    stopper = threading.Thread(target=lambda: stopped.append(second.stop()))
    _type_during(student, DURING_RESTART, stopper)
    assert stopped and stopped[0] is not None, "the second process did not stop"
    expected = "\n".join([*GREETER, DURING_RESTART])

    # The browser reconnects (to the first process), with everything typed.
    expect(student.get_by_test_id("connection")).to_have_attribute("data-status", "connected", timeout=30_000)
    wait_editor_ready(student)
    expect_editor_text(student, expected, timeout=20)
    expect(tile.get_by_test_id("tile-code")).to_contain_text(DURING_RESTART, timeout=20_000)
    # The terminal says what happened to the program that was waiting for input.
    expect(student.get_by_test_id("run-status")).not_to_have_attribute("data-kind", "running", timeout=30_000)
    # (the browser's own account today; the server's, once it tells a reconnecting
    # terminal, says the server running the program stopped: coding/sweeper.py)
    expect(student.get_by_test_id("run-status")).to_contain_text(
        re.compile(r"connection dropped during the run|server running this program stopped"), timeout=30_000
    )
    assert "Name? " in terminal_text(student)  # what the program wrote before is still there

    # Second half: the stopped process is back; the first one restarts too (the teacher
    # moves over), each waited for on /health before the next, as install.sh --upgrade does.
    second.start()
    second.wait_healthy()
    first.stop()
    first.start()
    first.wait_healthy()
    expect(teacher.get_by_test_id("connection")).to_have_attribute("data-status", "connected", timeout=30_000)
    teacher.goto(dashboard_url)
    expect(tile.get_by_test_id("tile-code")).to_contain_text(DURING_RESTART, timeout=20_000)

    # What the server kept: a fresh page shows everything the student typed.
    student.reload()
    wait_editor_ready(student)
    expect_editor_text(student, expected, timeout=20)
    assert editor_text(student).rstrip() == expected
