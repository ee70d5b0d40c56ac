"""The operator dashboard in a real browser: an admin watches, a student runs, the
figures change without a reload (pushed over /ws/monitoring/)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import ROOT, LiveServer
from tests.e2e.ui import join_class, shot

ADMIN = "operator"


def api(server: LiveServer, path: str, body: dict[str, Any] | None, token: str | None = None) -> dict[str, Any]:
    """POST ``body`` (GET when None)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data, method = (None, "GET") if body is None else (json.dumps(body).encode(), "POST")
    request = urllib.request.Request(server.base_url + path, data, headers, method=method)
    with urllib.request.urlopen(request, timeout=15) as response:
        return dict(json.loads(response.read()))


def create_admin(server: LiveServer) -> None:
    env = {**server.env, "DJANGO_SUPERUSER_PASSWORD": server.teacher_password}
    result = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--no-input", "--username", ADMIN,
         "--email", "operator@example.org"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode != 0 and "already taken" not in result.stderr:
        raise RuntimeError(result.stdout + result.stderr)


def live_session(server: LiveServer) -> tuple[str, str]:
    """The teacher opens a Python session through the API (the class flow has its own
    test); returns its id and join code."""
    access = api(server, "/api/auth/login", {"username": server.teacher_username,
                                             "password": server.teacher_password})["access"]  # fmt: skip
    session = api(server, "/api/sessions/", {"title": "E2E operator watch", "language": "python",
                                             "starter_files": [{"name": "main.py", "content": 'print("hi")\n'}]},
                  access)  # fmt: skip
    return str(session["id"]), str(api(server, f"/api/sessions/{session['id']}/start", {}, access)["join_code"])


def figure(page: Page, name: str) -> int:
    return int(page.get_by_test_id(f"figure-{name}-value").inner_text().strip())


@pytest.mark.timeout(240)
def test_it_shows_a_student_s_run_on_the_open_dashboard(
    open_page: Callable[[str], Page], observer_server: LiveServer, output_dir: Path
) -> None:
    create_admin(observer_server)
    operator = open_page("operator")
    operator.goto("/login")
    operator.get_by_label("Username").fill(ADMIN)
    operator.get_by_label("Password").fill(observer_server.teacher_password)
    operator.get_by_role("button", name="Sign in").click()
    expect(operator).not_to_have_url(re.compile(r"/login"))
    operator.goto("/operator")
    expect(operator.get_by_test_id("connection")).to_have_attribute("data-status", "connected", timeout=20_000)
    expect(operator.get_by_test_id("figure-runs-value")).to_be_visible()
    expect(operator.get_by_test_id("health-database")).to_have_attribute("data-status", re.compile("healthy|degraded"))
    runs_before = figure(operator, "runs")
    expect(operator.get_by_test_id("executions-count")).to_be_visible()
    # A marker that a reload would wipe out.
    operator.evaluate("window.__observerNoReload = true")
    shot(operator, output_dir, "01-dashboard-before")

    student = open_page("student")
    session_id, code = live_session(observer_server)
    join_class(student, code, "Ada")
    student.get_by_role("button", name="▶ Run").click()
    expect(student.get_by_test_id("run-status")).to_have_attribute("data-status", "ok", timeout=30_000)
    admin = api(observer_server, "/api/auth/login", {"username": ADMIN, "password": observer_server.teacher_password})
    (run,) = api(observer_server, f"/api/monitoring/executions?session={session_id}", None, admin["access"])["results"]

    expect(operator.get_by_test_id("figure-runs-value")).to_have_text(str(runs_before + 1), timeout=15_000)
    expect(operator.get_by_test_id("figure-success-rate-value")).not_to_have_text("–")
    # The charts and the table reload by themselves when the figures say runs happened:
    # the table shows this run, newest first (whatever else other pushes brought).
    row = operator.get_by_test_id("execution-row").first
    expect(row).to_have_attribute("data-run-id", run["id"], timeout=15_000)
    expect(row).to_contain_text("Ada")
    expect(row).to_have_attribute("data-status", "ok")
    expect(operator.get_by_test_id("language-python")).to_contain_text("ok")
    assert operator.evaluate("window.__observerNoReload") is True
    operator.screenshot(path=str(output_dir / "02-dashboard-after-run.png"), full_page=True)


def test_it_keeps_the_dashboard_from_students(open_page: Callable[[str], Page], observer_server: LiveServer) -> None:
    page = open_page("student")
    page.goto("/login")
    page.get_by_label("Username").fill("student")
    page.get_by_label("Password").fill(observer_server.teacher_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto("/operator")
    expect(page.get_by_text("Not available")).to_be_visible()


@pytest.mark.timeout(240)
def test_it_lists_an_api_key_that_ran_code(open_page: Callable[[str], Page], observer_server: LiveServer,
                                           output_dir: Path) -> None:
    """Issue 15: the dashboard lists the keys with runs in the last hour and day, by name
    and visible prefix, never the secret."""
    create_admin(observer_server)
    admin = api(observer_server, "/api/auth/login", {"username": ADMIN, "password": observer_server.teacher_password})
    issued = api(observer_server, "/api/integrations/keys/", {"name": "E2E grader", "scopes": ["execute", "read"]},
                 admin["access"])  # fmt: skip
    run = urllib.request.Request(
        observer_server.base_url + "/api/v1/executions",
        json.dumps({"language": "python", "files": [{"name": "main.py", "content": "print(6 * 7)\n"}]}).encode(),
        {"Content-Type": "application/json", "X-API-Key": issued["secret"]}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(run, timeout=60) as response:
        assert json.loads(response.read())["status"] == "ok"

    operator = open_page("operator")
    operator.goto("/login")
    operator.get_by_label("Username").fill(ADMIN)
    operator.get_by_label("Password").fill(observer_server.teacher_password)
    operator.get_by_role("button", name="Sign in").click()
    expect(operator).not_to_have_url(re.compile(r"/login"))
    operator.goto("/operator")
    row = operator.locator(f'[data-testid="api-key-row"][data-prefix="{issued["prefix"]}"]')
    expect(row).to_contain_text("E2E grader", timeout=20_000)
    cells = row.get_by_role("cell")
    expect(cells.nth(2)).to_have_text("1")  # runs in the last hour
    expect(cells.nth(3)).to_have_text("1")  # and the day
    expect(cells.nth(4)).to_have_text("0")  # none failed
    assert issued["secret"] not in operator.content()
    row.scroll_into_view_if_needed()
    shot(operator, output_dir, "03-api-keys")
