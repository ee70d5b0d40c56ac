"""The operator page's API keys panel in a real browser (issue 15): an admin makes a key
with a webhook URL and a test-sessions rate, sees its secrets once, is told next to the
field when the server refuses a webhook URL inside its network, and changes the key."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import LiveServer
from tests.e2e.test_operator_dashboard import ADMIN, create_admin
from tests.e2e.ui import shot

HOOK = "https://93.184.215.14/observer-hook"  # a public address: checked without a name to resolve


@pytest.mark.timeout(240)
def test_an_admin_makes_and_changes_a_key_with_its_webhook(open_page: Callable[..., Page],
                                                            observer_server: LiveServer, output_dir: Path) -> None:
    create_admin(observer_server)
    page = open_page("operator", viewport={"width": 390, "height": 844})
    page.goto("/login")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(observer_server.teacher_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto("/operator")

    page.get_by_role("button", name="New key").click()
    form = page.get_by_role("form", name="New API key")
    form.get_by_label("Name").fill("Interview tool")
    form.get_by_role("checkbox", name="Test sessions").check()
    form.get_by_label("Webhook URL (optional)").fill("http://169.254.169.254/latest/meta-data/")
    form.get_by_label("Test sessions rate (optional)").fill("20/h")
    form.get_by_role("button", name="Make key").click()
    url = form.get_by_label("Webhook URL (optional)")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_test_id("error-webhook_url")).to_contain_text("non-public address")
    shot(page, output_dir, "01-refused-webhook")

    url.fill(HOOK)
    form.get_by_role("button", name="Make key").click()
    issued = page.get_by_test_id("issued-key")
    expect(issued.get_by_test_id("issued-secret")).to_contain_text("obs_")
    secret = issued.get_by_test_id("issued-secret").inner_text()
    row = page.get_by_test_id("managed-key-row").filter(has_text="Interview tool")
    expect(row).to_contain_text(HOOK)
    expect(row).to_contain_text("20/h")
    # On a phone the page, its header, the panel and the secrets' long tokens stay within the
    # screen (the activity table scrolls inside its own frame; each key is a block of lines).
    fits = page.evaluate("""() => {
        const width = document.scrollingElement.clientWidth;
        const panel = document.querySelector('[aria-labelledby="op-api-keys"]');
        const issued = document.querySelector('[data-testid="issued-key"]');
        return [panel.getBoundingClientRect().right, issued.scrollWidth, issued.clientWidth, width,
                document.scrollingElement.scrollWidth, document.querySelector('header.topbar').scrollWidth];
    }""")
    assert fits[0] <= fits[3] and fits[1] <= fits[2], f"the keys panel sticks out: {fits}"
    assert fits[4] <= fits[3] and fits[5] <= fits[3], f"the page or its header scrolls sideways: {fits}"
    shot(page, output_dir, "02-made")
    page.get_by_role("button", name="I have copied them").click()
    assert secret not in page.content()

    row.get_by_role("button", name="Change Interview tool").click()
    change = page.get_by_role("form", name="Change Interview tool")
    rate = change.get_by_label("Test sessions rate (optional)")
    rate.fill("twenty an hour")
    change.get_by_role("button", name="Save changes").click()
    expect(change.get_by_test_id("error-test_sessions_rate")).to_contain_text("A count and a period")
    rate.fill("5/m")
    change.get_by_label("Webhook URL (optional)").fill("")
    change.get_by_role("button", name="Save changes").click()
    expect(change).to_have_count(0)
    expect(row).to_contain_text("5/m")
    expect(row).to_contain_text("none")
    page.reload()  # as the server keeps it
    expect(page.get_by_test_id("managed-key-row").filter(has_text="Interview tool")).to_contain_text("5/m")
    shot(page, output_dir, "03-changed")
