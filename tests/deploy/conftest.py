"""The deployment stage's fixtures: one running stack (nginx + two server processes)
for the whole run (a test that stops or drains an instance puts it back), and Debian's
Chromium. Its tests are marked e2e, so the ordinary suites never start it;
scripts/test-deploy runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.deploy.stack import NGINX, Stack, running_stack
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: scripts/test-deploy installs Debian's package")
    yield from running_stack()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        stack = item.funcargs.get("stack") if hasattr(item, "funcargs") else None
        if isinstance(stack, Stack):
            for instance in stack.instances:
                report.sections.append((f"server {instance.port} (tail)", instance.log_tail()))
            report.sections.append(("nginx access log (tail)", "\n".join(stack.access_log().splitlines()[-30:])))
