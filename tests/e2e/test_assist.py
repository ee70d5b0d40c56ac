"""AI help in the browser (issue 19), against the local fake provider (never the internet):
a student's SyntaxError is explained, the answer streams into her help panel as Markdown,
and the teacher sees the question and the answer in the feed beside the help queue; her
raised hand then shows the AI's answer in its card. Screenshots go to test-results/e2e/<test>/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.assist.fake_openai import FakeOpenAI
from tests.e2e.axe import assert_accessible
from tests.e2e.classes import Teacher, call, join_guest, open_as_student, open_as_teacher, sign_in_teacher, start_class
from tests.e2e.server import LiveServer
from tests.e2e.test_operator_dashboard import ADMIN, create_admin
from tests.e2e.ui import expect_terminal_contains, replace_editor_text, shot

KEY = "sk-e2e-PROVIDERKEY0000abcd"


@pytest.fixture
def provider() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(expected_key=KEY).start()
    yield fake
    fake.stop()


@pytest.mark.timeout(300)
def test_a_student_asks_the_ai_to_explain_a_syntax_error_and_the_teacher_sees_it(
    open_page: Callable[..., Page], observer_server: LiveServer, provider: FakeOpenAI, output_dir: Path
) -> None:
    teacher = sign_in_teacher(observer_server)
    lesson = start_class(observer_server, teacher, "Conditions")
    saved = call(observer_server, "PUT", "/api/assist/my-provider",
                 {"base_url": provider.base_url, "model": "explainer", "api_key": KEY}, teacher.access)  # fmt: skip
    assert saved["key_hint"] == "sk-…abcd"
    call(observer_server, "PUT", f"/api/sessions/{lesson['id']}/assist/policy",
         {"mode": "explain", "per_student_per_hour": 5, "session_budget": 100}, teacher.access)  # fmt: skip

    staff = open_page("teacher")
    open_as_teacher(staff, teacher, f"/teach/{lesson['id']}")
    feed = staff.get_by_test_id("assist-feed")
    expect(feed.get_by_label("AI help for the class")).to_have_value("explain")

    ada = open_page("ada")
    ada_seat = join_guest(observer_server, lesson["join_code"], "Ada")
    open_as_student(ada, ada_seat)
    panel = ada.get_by_test_id("assist-panel")
    expect(panel.get_by_test_id("assist-allowance")).to_contain_text("5 questions left this hour")
    replace_editor_text(ada, ["if True", "    print('hi')"])
    ada.get_by_role("button", name="▶ Run").click()
    expect_terminal_contains(ada, "SyntaxError")

    # Beside the failed run: "Explain this error". The answer streams in.
    ada.get_by_test_id("explain-error").click()
    answer = panel.get_by_test_id("assist-answer").last
    expect(answer).to_have_attribute("data-status", "streaming")
    expect(answer).to_contain_text("means Python")
    shot(ada, output_dir, "1-student-answer-streaming")
    partial = answer.inner_text()
    expect(answer).to_have_attribute("data-status", "answered", timeout=30_000)
    assert len(answer.inner_text()) > len(partial)  # it grew while we watched
    expect(answer.locator("strong")).to_have_text("SyntaxError: expected ':'")  # Markdown, rendered
    expect(answer.locator("code").first).to_have_text("if")
    expect(panel.get_by_test_id("assist-allowance")).to_contain_text("4 questions left this hour")
    shot(ada, output_dir, "2-student-answer-done")

    # The teacher's feed: who asked, the error, the answer.
    item = feed.get_by_test_id("assist-feed-item").first
    expect(item).to_contain_text("Ada")
    expect(item).to_contain_text("SyntaxError: expected ':'")
    expect(item).to_have_attribute("data-status", "answered")
    expect(item.get_by_test_id("assist-feed-answer")).to_contain_text("Look at the end of line 1 of main.py.")
    feed.scroll_into_view_if_needed()
    shot(staff, output_dir, "3-teacher-feed")

    # She raises her hand anyway: the card shows what the AI told her.
    ada.get_by_role("button", name="Raise hand").click()
    card = staff.get_by_test_id("help-item").filter(has_text="Ada")
    ai = card.get_by_test_id("help-ai-answer")
    expect(ai).to_contain_text("Asked the AI first about SyntaxError")
    ai.locator("summary").click()
    expect(ai).to_contain_text("colon")
    card.scroll_into_view_if_needed()
    shot(staff, output_dir, "4-teacher-help-card")

    # The teacher's page of Ada: her own questions and answers, what she has left, help off for her alone.
    focus = open_page("teacher-focus", viewport={"width": 1366, "height": 768})
    open_as_teacher(focus, teacher, f"/teach/{lesson['id']}/students/{ada_seat.participant_id}")
    own = focus.get_by_test_id("student-assist-feed")
    expect(own.get_by_test_id("assist-feed-item")).to_have_count(1)
    expect(own.get_by_test_id("assist-feed-answer")).to_contain_text("Look at the end of line 1 of main.py.")
    expect(own.get_by_test_id("student-assist-allowance")).to_contain_text("4 of 5 questions left this hour")
    own.scroll_into_view_if_needed()
    shot(focus, output_dir, "5-teacher-student-ai-feed")
    own.get_by_role("button", name="Turn AI help off for Ada").click()
    expect(own.get_by_test_id("student-assist-allowance")).to_have_text("AI help is off for Ada.")
    expect(panel.get_by_test_id("assist-allowance")).to_have_text("Your teacher turned AI help off for you.")

    # What the provider was sent: the policy, the traceback, the code around the line.
    sent = provider.requests[-1]["body"]["messages"]
    assert "Explain what the error means" in sent[0]["content"]
    assert "SyntaxError" in sent[1]["content"] and "if True" in sent[1]["content"]
    # The key is in no page the browsers saw.
    for page in (ada, staff, focus):
        assert KEY not in page.content() and "PROVIDERKEY" not in page.content()


@pytest.mark.timeout(180)
def test_an_admin_sets_the_deployment_s_provider_in_the_browser_and_tests_it(
    open_page: Callable[..., Page], observer_server: LiveServer, provider: FakeOpenAI, output_dir: Path
) -> None:
    create_admin(observer_server)
    admin = call(
        observer_server, "POST", "/api/auth/login", {"username": ADMIN, "password": observer_server.teacher_password}
    )
    page = open_page("admin", viewport={"width": 1366, "height": 768})
    open_as_teacher(page, Teacher(admin["access"], admin["refresh"]), "/operator")
    card = page.get_by_test_id("op-ai-provider")
    expect(card.get_by_test_id("provider-key-state")).to_have_text("Key: not set.")
    card.get_by_label("Base URL").fill(provider.base_url)
    card.get_by_label("Model").fill("explainer")
    # A wrong key first: saved, and the test says the provider refused it.
    card.get_by_label("API key").fill("sk-wrong-key-0000")
    card.get_by_role("button", name="Save provider").click()
    expect(card.get_by_role("status")).to_have_text("Saved. The key is stored encrypted.")
    expect(card.get_by_label("API key")).to_have_value("")
    expect(card.get_by_test_id("provider-key-state")).to_contain_text("Key: set by")
    card.get_by_role("button", name="Test connection").click()
    expect(card.get_by_role("alert")).to_be_visible()
    shot(page, output_dir, "1-admin-provider-refused")
    card.get_by_label("API key").fill(KEY)
    expect(card.get_by_role("button", name="Test connection")).to_be_disabled()  # unsaved: it would test the old key
    card.get_by_role("button", name="Save provider").click()
    expect(card.get_by_role("status")).to_have_text("Saved. The key is stored encrypted.")
    card.get_by_role("button", name="Test connection").click()
    expect(card.get_by_role("status")).to_have_text("Connected: explainer answered.")
    card.scroll_into_view_if_needed()
    shot(page, output_dir, "2-admin-provider-connected")
    assert_accessible(page, "the operations page's AI provider form")
    # Write-only: the key (or its end) is nowhere in the page, nor in what the API answers.
    assert KEY not in page.content() and "abcd" not in card.inner_text()
    saved = call(observer_server, "GET", "/api/assist/provider", None, admin["access"])
    assert saved["model"] == "explainer" and KEY not in str(saved)
