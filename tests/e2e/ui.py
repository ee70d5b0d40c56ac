"""Small helpers for driving the Observer UI: sign-in, join, Monaco, xterm."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Locator, Page, Route, expect

NBSP = "\u00a0"


def same_origin(url: str, base_url: str) -> bool:
    """A request to the test server (HTTP or its WebSockets), or one that never leaves the page."""
    if url.startswith(("data:", "blob:", "about:")):
        return True
    origin = base_url.rstrip("/")
    ws_origin = origin.replace("http", "ws", 1)
    return any(url == o or url.startswith(o + "/") for o in (origin, ws_origin))


def new_page(browser: Browser, base_url: str, foreign: list[str] | None = None, **context: Any) -> Page:
    """A page in a fresh context. Every request is routed: one to anywhere but the test
    server (a CDN, a font host, a telemetry endpoint: a classroom server may have no
    internet) is refused and noted in `foreign`, for the test to fail on. `context`
    overrides the context's options (`viewport`, `color_scheme`, ...)."""
    context = browser.new_context(**{"base_url": base_url, "viewport": {"width": 1400, "height": 900}, **context})
    context.set_default_timeout(15_000)
    noted = foreign if foreign is not None else []

    def guard(route: Route) -> None:
        if same_origin(route.request.url, base_url):
            route.fallback()
        else:
            noted.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    page.on("websocket", lambda socket: None if same_origin(socket.url, base_url) else noted.append(socket.url))
    return page


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/teach$"))


def join_class(page: Page, code: str, name: str) -> None:
    page.goto("/join")
    page.get_by_label("Class code").fill(code)
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join class").click()
    expect(page.get_by_test_id("workspace")).to_be_visible()
    wait_editor_ready(page)


def wait_editor_ready(page: Page) -> None:
    editor = page.get_by_test_id("code-editor")
    expect(editor).to_have_attribute("data-synced", "true", timeout=20_000)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "connected", timeout=20_000)


def editor_text(page: Page) -> str:
    return page.locator("[data-testid=code-editor] .view-lines").inner_text().replace(NBSP, " ")


def replace_editor_text(page: Page, lines: list[str]) -> None:
    """Selects everything in Monaco and types `lines` (inserted whole, so auto-closing and
    auto-indent cannot change them)."""
    page.locator("[data-testid=code-editor] .view-lines").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    for index, line in enumerate(lines):
        if index:
            page.keyboard.press("Enter")
            # Drop the auto-indent Monaco adds after a newline.
            page.keyboard.press("Shift+Home")
            page.keyboard.press("Shift+Home")
            page.keyboard.press("Delete")
        page.keyboard.insert_text(line)


def expect_editor_text(page: Page, text: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = editor_text(page).rstrip()
        if seen == text:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the editor never showed {text!r}; it shows {seen!r}")


def expect_remote_cursor(page: Page, name: str, timeout: float = 10.0) -> None:
    """Another person's cursor (y-monaco's head decoration) is on screen in the editor,
    with the name label our cursor styles draw above it."""
    head = page.locator("[data-testid=code-editor] .yRemoteSelectionHead").first
    expect(head).to_be_visible(timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    label = ""
    while time.monotonic() < deadline:
        label = str(head.evaluate("el => getComputedStyle(el, '::before').content"))
        if label == f'"{name}"':
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the remote cursor is labelled {label!r}, not {name!r}")


def comment_form_on_line(page: Page, lines: Locator, line: int) -> Locator:
    """A teacher's comment form opened from an editor's line by keyboard (the cursor on
    `line`, Ctrl+Alt+Enter): the form names the line and the comment field has the focus."""
    lines.click()
    page.keyboard.press("ControlOrMeta+Home")
    for _ in range(line - 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Control+Alt+Enter")
    form = page.get_by_test_id("comment-form")
    expect(form.get_by_label("Line")).to_have_value(str(line))
    expect(form.get_by_label("Comment")).to_be_focused()
    return form


def terminal_text(page: Page) -> str:
    return page.locator("[data-testid=terminal] .xterm-rows").inner_text().replace(NBSP, " ")


def expect_terminal_contains(page: Page, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = terminal_text(page)
        if text in seen:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"terminal never showed {text!r}; it shows:\n{seen}")


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
