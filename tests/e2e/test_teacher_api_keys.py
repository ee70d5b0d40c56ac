"""A teacher's own API keys in a real browser (issue 15): on a 390 px phone and a 1280 px
laptop, light and dark, the teacher goes from My sessions to the API keys page, makes a key
(a bad rate refused next to its field first), sees its secrets once, runs code with it on
/api/v1/executions and asks /judge0/about with it, revokes it after confirming, and the key
is refused from then on. Nothing scrolls sideways and axe finds nothing. The operator page's
header fits a phone too. Screenshots go to test-results/e2e/<test>/."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.classes import Teacher, call, open_as_teacher, sign_in_teacher
from tests.e2e.server import LiveServer
from tests.e2e.test_operator_dashboard import ADMIN, create_admin
from tests.e2e.ui import shot

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
SCREENS = {
    "phone-light": (PHONE, "light"),
    "phone-dark": (PHONE, "dark"),
    "laptop-light": (LAPTOP, "light"),
    "laptop-dark": (LAPTOP, "dark"),
}


def no_sideways_scroll(page: Page, where: str) -> None:
    wide = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert wide[0] <= wide[1], f"{where}: the page scrolls sideways: {wide}"


def with_key(server: LiveServer, method: str, path: str, headers: dict[str, str],
             body: Any = None) -> tuple[int, Any]:
    """The status and JSON answer of a request made with an API key (not a user's token)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.base_url + path, data, {"Content-Type": "application/json", **headers},
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def teacher(observer_server: LiveServer) -> Teacher:
    """One sign-in for the module (sign-ins are rate limited per username)."""
    return sign_in_teacher(observer_server)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_teacher_makes_uses_and_revokes_their_own_key(screen: str, open_page: Callable[..., Page],
                                                        observer_server: LiveServer, teacher: Teacher,
                                                        output_dir: Path) -> None:
    viewport, scheme = SCREENS[screen]
    phone = viewport is PHONE
    page = open_page(f"teacher-{screen}", viewport=viewport, color_scheme=scheme)
    open_as_teacher(page, teacher, "/teach")
    expect(page.get_by_role("heading", level=1, name="My sessions")).to_be_visible()
    no_sideways_scroll(page, f"My sessions, {screen}")

    # From My sessions' header: on a phone the account's links are behind Menu.
    keys_link = page.get_by_role("navigation", name="Account").get_by_role("link", name="API keys")
    menu = page.get_by_role("button", name="Menu")
    if phone:
        expect(keys_link).to_be_hidden()
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(keys_link).to_be_visible()
        no_sideways_scroll(page, f"the open menu, {screen}")
        shot(page, output_dir, "01-menu")
    else:
        expect(menu).to_be_hidden()
    keys_link.click()
    expect(page).to_have_url(re.compile(r"/account/keys$"))
    expect(page.get_by_role("heading", level=1, name="API keys")).to_be_visible()
    # (The keys the other screens made and revoked are listed too: the same teacher.)
    expect(page.get_by_role("heading", level=2, name="Your keys")).to_be_visible()
    assert page.title() == "API keys · Observer"

    # A bad rate is refused next to its field; then the key is made.
    name = f"Course site {screen}"
    page.get_by_role("button", name="New key").click()
    form = page.get_by_role("form", name="New API key")
    form.get_by_label("Name").fill(name)
    rate = form.get_by_label("Executions rate (optional)")
    rate.fill("lots")
    form.get_by_role("button", name="Make key").click()
    expect(rate).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_test_id("error-executions_rate")).to_contain_text("A count and a period")
    no_sideways_scroll(page, f"the refused form, {screen}")
    shot(page, output_dir, "02-refused")
    rate.fill("5/m")
    form.get_by_role("button", name="Make key").click()
    issued = page.get_by_test_id("issued-key")
    expect(issued.get_by_test_id("issued-secret")).to_contain_text("obs_")
    secret = issued.get_by_test_id("issued-secret").inner_text().strip()
    webhook_secret = issued.get_by_test_id("issued-webhook-secret").inner_text().strip()
    assert re.fullmatch(r"obs_[\w-]+", secret) and len(webhook_secret) >= 32, (secret, webhook_secret)
    row = page.get_by_test_id("managed-key-row").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("key-last-used")).to_have_text("never · 0 uses")
    no_sideways_scroll(page, f"the secrets shown, {screen}")
    fits = issued.evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert fits[0] <= fits[1], f"the secrets stick out of their box: {fits}"
    shot(page, output_dir, "03-made")
    assert_accessible(page, f"the teacher's keys page with a new key's secrets ({screen})")

    # The key works: it runs code and opens the Judge0-compatible API.
    status, ran = with_key(observer_server, "POST", "/api/v1/executions", {"X-API-Key": secret},
                           {"language": "python", "files": [{"name": "main.py", "content": "print(6 * 7)\n"}]})
    assert status == 200 and ran["status"] == "ok" and ran["stdout"] == "42\n", (status, ran)
    status, about = with_key(observer_server, "GET", "/judge0/about", {"X-Auth-Token": secret})
    assert status == 200, (status, about)

    # Shown once: gone once copied, and not sent again on a reload; the uses are counted.
    page.get_by_role("button", name="I have copied them").click()
    expect(page.get_by_test_id("issued-key")).to_have_count(0)
    page.reload()
    expect(row.get_by_test_id("key-last-used")).to_have_text(re.compile(r"^(just now|\d+ s ago|\d+ min ago) · 2 uses$"))
    assert secret not in page.content() and webhook_secret not in page.content()
    listed = call(observer_server, "GET", "/api/integrations/keys/", token=teacher.access)
    assert all("secret" not in key for key in listed)

    # Revoked after confirming; from then on the key is refused.
    row.get_by_role("button", name=f"Revoke {name}").click()
    dialog = page.get_by_role("dialog", name=f"Revoke {name}?")
    expect(dialog).to_be_visible()
    no_sideways_scroll(page, f"the revoke dialog, {screen}")
    shot(page, output_dir, "04-confirm-revoke")
    assert_accessible(page, f"the revoke dialog ({screen})")
    dialog.get_by_role("button", name="Revoke key").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    status, refused = with_key(observer_server, "GET", "/judge0/about", {"X-Auth-Token": secret})
    assert status == 401 and "revoked" in refused["error"], (status, refused)  # Judge0's own error shape
    status, refused = with_key(observer_server, "POST", "/api/v1/executions", {"X-API-Key": secret},
                               {"language": "python", "files": [{"name": "main.py", "content": "print(1)\n"}]})
    assert status == 401 and refused["error"]["code"] == "api_key_revoked", (status, refused)
    page.reload()
    expect(row).to_contain_text("revoked")
    no_sideways_scroll(page, f"the revoked key, {screen}")
    shot(page, output_dir, "05-revoked")
    assert_accessible(page, f"the teacher's keys page with a revoked key ({screen})")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_operator_page_header_fits_a_phone(scheme: str, open_page: Callable[..., Page],
                                               observer_server: LiveServer, output_dir: Path) -> None:
    create_admin(observer_server)
    admin = call(observer_server, "POST", "/api/auth/login",
                 {"username": ADMIN, "password": observer_server.teacher_password})
    page = open_page(f"operator-{scheme}", viewport=PHONE, color_scheme=scheme)
    open_as_teacher(page, Teacher(admin["access"], admin["refresh"]), "/operator")
    title = page.get_by_role("heading", level=1, name="Operations")
    expect(title).to_be_visible()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "connected")
    header = page.locator("header.topbar")
    sizes = header.evaluate("""bar => [bar.scrollWidth, bar.clientWidth, bar.getBoundingClientRect().right,
                                       document.querySelector('h1').getBoundingClientRect().width]""")
    assert sizes[0] <= sizes[1] and sizes[2] <= PHONE["width"], f"the header is wider than the phone: {sizes}"
    assert sizes[3] > 60, f"the page's title is squeezed out of the header: {sizes}"
    no_sideways_scroll(page, f"the operator page ({scheme})")
    shot(page, output_dir, "01-header")

    menu = page.get_by_role("button", name="Menu")
    menu.click()
    nav = page.get_by_role("navigation", name="Account")
    for link in ("My sessions", "Operations", "Admin", "GitHub"):
        expect(nav.get_by_role("link", name=link)).to_be_visible()
    expect(nav.get_by_role("link", name="API keys")).to_have_count(0)  # an admin's keys are on this page
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    box = nav.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    no_sideways_scroll(page, f"the operator page's open menu ({scheme})")
    shot(page, output_dir, "02-menu")
    assert_accessible(page, f"the operator page's header with its menu open ({scheme})")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Admin")).to_be_hidden()
