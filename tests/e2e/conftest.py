"""Browser fixtures: the real server, Debian's Chromium (never a downloaded browser),
and a folder for screenshots under test-results/e2e/<test name>/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.e2e.server import ROOT, LiveServer, start_server
from tests.e2e.ui import new_page

# Expectations wait as long as actions do (ui.new_page): on a loaded machine a page can
# take longer than Playwright's default 5 s to show what it will show (a join, 4 s here).
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def observer_server() -> Iterator[LiveServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("E2E_KEEP_SERVER_DIR") != "1":
            shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/install --test)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    base = Path(os.environ.get("E2E_OUTPUT_DIR", ROOT / "test-results" / "e2e"))
    folder = base / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def open_page(browser: Browser, observer_server: LiveServer, output_dir: Path) -> Iterator[Callable[..., Page]]:
    """Opens a page in a fresh browser context (its own cookies and storage) per person
    (keyword arguments are context options: `viewport`, `color_scheme`); each page's last
    screen and console are saved for the report. The test fails if any page asked for
    anything but the test server (the app must work with no internet)."""
    pages: dict[str, Page] = {}
    consoles: dict[str, list[str]] = {}
    foreign: dict[str, list[str]] = {}

    def make(who: str, **context: Any) -> Page:
        foreign[who] = []
        page = new_page(browser, observer_server.base_url, foreign[who], **context)
        consoles[who] = []
        page.on("console", lambda msg: consoles[who].append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: consoles[who].append(f"pageerror: {exc}"))
        pages[who] = page
        return page

    yield make
    for who, page in pages.items():
        try:
            page.screenshot(path=str(output_dir / f"last-{who}.png"))
        except Exception as exc:  # noqa: BLE001 - a closed page must not hide the test's own failure
            consoles[who].append(f"(no screenshot: {exc})")
        (output_dir / f"console-{who}.log").write_text("\n".join(consoles[who]))
        page.context.close()
    outside = {who: urls for who, urls in foreign.items() if urls}
    if outside:
        pytest.fail(f"pages asked for something other than the test server: {outside}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        server = item.funcargs.get("observer_server") if hasattr(item, "funcargs") else None
        if isinstance(server, LiveServer):
            report.sections.append(("server log (tail)", server.log_tail()))
