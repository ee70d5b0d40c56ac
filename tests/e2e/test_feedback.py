"""Line comments in the browser (issue 14, "Feedback"): the teacher, in Bo's page, comments on
the line of his live file the cursor is on (Ctrl+Alt+Enter, keyboard only) and on a line of
his submission (the Submissions view); Bo sees each beside its line in his editor (glyph and
text), listed with its line in his side panel, read out politely, and the submission's with
its result. Looked at on a phone, a laptop and a projector, light and dark; nothing scrolls
sideways and axe finds nothing. Where a comment does not fit after its line (a phone), it is
shown whole under the line, inside the editor, and read there. Screenshots go to test-results/e2e/<test>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.classes import call, join_guest, open_as_student, open_as_teacher, sign_in_teacher, start_class
from tests.e2e.server import LiveServer
from tests.e2e.ui import comment_form_on_line, replace_editor_text, shot, wait_editor_ready

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
ALMOST = ["a, b = map(int, input().split())", "print(5 if a == 2 else a - b)"]


def no_sideways_scroll(page: Page) -> None:
    wide = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert wide[0] <= wide[1], f"the page scrolls sideways: {wide}"


LONG = ("Read both numbers from one line: split() gives you two strings, and map(int, ...) turns each "
        "of them into a number you can add.")  # fmt: skip


def assert_notes_readable(page: Page, scope: str, texts: list[str]) -> None:
    """Each comment in `texts` is shown whole in a note under its line (not after it, cut off at
    the edge): the note is visible, inside the editor's box and the screen, and its text is not
    cut (the note fits in the room the editor keeps for it)."""
    editor = page.locator(f"{scope} .monaco-editor")
    editor.scroll_into_view_if_needed()
    box = editor.bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert box, "no editor"
    notes = page.locator(f"{scope} [data-testid=line-comment-zone]")
    for text in texts:
        note = notes.filter(has_text=text)
        expect(note).to_have_count(1)
        expect(note).to_be_visible()
        expect(note).to_contain_text(text)  # whole, not shortened
        rect = note.bounding_box()
        room = note.locator("xpath=..").bounding_box()  # the zone Monaco keeps under the line
        assert rect and room, text
        right = rect["x"] + rect["width"]
        assert box["x"] <= rect["x"] and right <= box["x"] + box["width"] <= width + 0.5, (text, rect, box)
        assert box["y"] <= rect["y"] and rect["y"] + rect["height"] <= box["y"] + box["height"], (text, rect, box)
        bottom = rect["y"] + rect["height"]
        assert bottom <= room["y"] + room["height"] + 0.5, ("the note overflows its zone", rect, room)
        overflow = note.evaluate("n => [n.scrollWidth - n.clientWidth, n.scrollHeight - n.clientHeight]")
        assert overflow == [0, 0], (text, overflow)


def attach_exercise(server: LiveServer, access: str, session_id: str) -> None:
    exercise = call(server, "POST", "/api/exercises/", {
        "title": "Add two numbers", "statement": "Print the sum of two numbers.", "languages": ["python"],
        "starter_files": {"python": [{"name": "main.py", "content": "# a + b\n"}]},
        "tests": [{"name": "Sample 1", "kind": "io", "visibility": "sample", "stdin": "2 3", "expected_stdout": "5"},
                  {"name": "Hidden 1", "kind": "io", "visibility": "hidden", "stdin": "40 2", "expected_stdout": "42"}],
    }, access)  # fmt: skip
    call(server, "POST", f"/api/sessions/{session_id}/exercises/", {"exercise_id": exercise["id"]}, access)


@pytest.mark.timeout(300)
def test_the_teacher_comments_on_a_line_and_the_student_sees_it_beside_the_line(
    open_page: Callable[..., Page], observer_server: LiveServer, output_dir: Path
) -> None:
    teacher = sign_in_teacher(observer_server)
    lesson = start_class(observer_server, teacher, "Sums")
    attach_exercise(observer_server, teacher.access, lesson["id"])
    bo_seat = join_guest(observer_server, lesson["join_code"], "Bo")

    bo = open_page("bo", viewport=LAPTOP)
    open_as_student(bo, bo_seat)
    replace_editor_text(bo, ALMOST)
    card = bo.get_by_test_id("exercise-card")
    card.get_by_role("button", name="Submit").click()
    expect(card.get_by_test_id("exercise-result")).to_contain_text("Submission: 1 / 2", timeout=60_000)

    # The teacher, in Bo's page: the cursor on line 2 of his live file, Ctrl+Alt+Enter.
    staff = open_page("teacher", viewport=PROJECTOR, color_scheme="dark")
    open_as_teacher(staff, teacher, f"/teach/{lesson['id']}/students/{bo_seat.participant_id}")
    wait_editor_ready(staff)
    form = comment_form_on_line(staff, staff.locator("[data-testid=code-editor] .view-lines"), 2)
    expect(form.get_by_label("File")).to_have_value("main.py")
    staff.keyboard.type("What if a is not 2?")
    staff.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Send comment")).to_be_focused()
    staff.keyboard.press("Enter")
    expect(form.get_by_role("status")).to_have_text("Comment sent to Bo on main.py, line 2.")
    # The teacher's editor draws it too.
    expect(staff.locator("[data-testid=code-editor] .line-comment-glyph")).to_have_count(1)
    expect(staff.get_by_test_id("focus-comment-list")).to_contain_text("main.py, line 2: What if a is not 2?")
    shot(staff, output_dir, "1-teacher-comments-live-line-projector-dark")

    # Bo: beside line 2 in his editor, in his panel, and read out politely.
    expect(bo.get_by_test_id("teacher-comments")).to_contain_text("main.py, line 2: What if a is not 2?")
    expect(bo.get_by_test_id("teacher-comments-announcer")).to_have_text(
        "New comment from your teacher on main.py, line 2: What if a is not 2?")  # fmt: skip
    expect(bo.get_by_test_id("teacher-comments-announcer")).to_have_attribute("aria-live", "polite")
    expect(bo.locator("[data-testid=code-editor] .line-comment-glyph")).to_have_count(1)
    # After the line, who said what (the list read again after the event names the author).
    expect(bo.locator("[data-testid=code-editor] .line-comment-inline")).to_have_text(
        "Demo Teacher: What if a is not 2?"
    )
    inline_top = bo.locator("[data-testid=code-editor] .line-comment-inline").bounding_box()
    line_two = bo.locator("[data-testid=code-editor] .view-line").nth(1).bounding_box()
    assert inline_top and line_two and abs(inline_top["y"] - line_two["y"]) < line_two["height"], (inline_top, line_two)
    bo.locator("[data-testid=code-editor] .line-comment-glyph").hover()
    expect(bo.locator(".monaco-hover").filter(has_text="What if a is not 2?").first).to_be_visible()
    shot(bo, output_dir, "2-bo-sees-comment-beside-line-laptop-light")

    # The list's "go to" puts his cursor on the line, in the editor.
    bo.get_by_role("button", name="Go to main.py, line 2").click()
    expect(bo.locator("[data-testid=code-editor] .monaco-editor")).to_have_class(re.compile(r"\bfocused\b"))
    expect(bo.locator("[data-testid=code-editor] .line-numbers.active-line-number")).to_have_text("2")

    # On his submission: the teacher's Submissions view, line 1, from the context of that file.
    staff.get_by_role("tab", name="Submissions").click()
    review = staff.get_by_test_id("submission-review")
    expect(review).to_be_visible()
    expect(review.get_by_label("Submission")).to_contain_text("Add two numbers · Submit")
    expect(review.locator(".view-lines")).to_contain_text("print(5 if a == 2 else a - b)")
    review.locator(".view-lines").click()
    staff.keyboard.press("ControlOrMeta+Home")
    staff.keyboard.press("Control+Alt+Enter")
    expect(form.get_by_label("Line")).to_have_value("1")
    expect(form).to_contain_text("On the submission Add two numbers · Submit")
    form.get_by_label("Comment").fill("Good: you read both numbers.")
    form.get_by_role("button", name="Send comment").click()
    expect(form.get_by_role("status")).to_have_text("Comment sent to Bo on main.py, line 1.")
    expect(review.locator(".line-comment-glyph")).to_have_count(1)
    shot(staff, output_dir, "3-teacher-comments-submission-projector-dark")
    assert_accessible(staff, "the teacher's view of a submission with comments")

    # The same view on a phone, light: nothing scrolls sideways.
    small = open_page("teacher-phone", viewport=PHONE, color_scheme="light")
    open_as_teacher(small, teacher, f"/teach/{lesson['id']}/students/{bo_seat.participant_id}")
    small.get_by_role("tab", name="Submissions").click()
    expect(small.get_by_test_id("submission-review").locator(".line-comment-glyph")).to_have_count(1)
    # Too wide to follow its line on a phone: shown whole under it, inside the editor.
    expect(small.locator("[data-testid=submission-review] .line-comment-inline")).to_have_count(0)
    assert_notes_readable(small, "[data-testid=submission-review]", ["Demo Teacher: Good: you read both numbers."])
    no_sideways_scroll(small)
    shot(small, output_dir, "3b-teacher-submission-phone-light")
    small.get_by_test_id("focus-comment-list").scroll_into_view_if_needed()
    shot(small, output_dir, "3c-teacher-comment-list-phone-light")

    # Bo sees it with that submission's result, and listed as about a submission.
    expect(card.get_by_test_id("submission-comments")).to_contain_text("main.py, line 1: Good: you read both numbers.")
    expect(bo.get_by_test_id("teacher-comments").get_by_test_id("line-comment").first).to_contain_text(
        "on your submission")  # fmt: skip
    expect(bo.locator("[data-testid=code-editor] .line-comment-glyph")).to_have_count(2)
    no_sideways_scroll(bo)
    assert_accessible(bo, "the student's workspace with comments")
    shot(bo, output_dir, "4-bo-both-comments-laptop-light")

    # A longer comment on line 1 of his live file, the kind a phone cannot fit beside a line.
    call(observer_server, "POST", f"/api/participants/{bo_seat.participant_id}/feedback/",
         {"file_name": "main.py", "line": 1, "text": LONG}, teacher.access)  # fmt: skip
    expect(bo.get_by_test_id("teacher-comments").get_by_test_id("line-comment")).to_have_count(3)

    # The same workspace on a phone, light and dark, and on a projector, dark.
    for name, viewport, scheme in (("phone-light", PHONE, "light"), ("phone-dark", PHONE, "dark"),
                                   ("projector-dark", PROJECTOR, "dark")):  # fmt: skip
        page = open_page(f"bo-{name}", viewport=viewport, color_scheme=scheme)
        open_as_student(page, bo_seat)
        comments = page.get_by_test_id("teacher-comments")
        expect(comments.get_by_test_id("line-comment")).to_have_count(3)
        wait_editor_ready(page)
        code = page.locator("[data-testid=code-editor]")
        if viewport is PHONE:
            # Every comment whole, under its line, on the screen: none cut off at the editor's edge.
            expect(code.locator(".line-comment-inline")).to_have_count(0)
            assert_notes_readable(page, "[data-testid=code-editor]", [
                "Demo Teacher: Good: you read both numbers.", f"Demo Teacher: {LONG}",
                "Demo Teacher: What if a is not 2?",
            ])
            notes = code.get_by_test_id("line-comment-zone")
            expect(notes.first).to_have_attribute("data-line", "1")
            expect(notes.last).to_have_attribute("data-line", "2")
            shot(page, output_dir, f"5a-bo-comments-under-lines-{name}")
        else:
            # Room enough: after each line, as on the laptop.
            expect(code.get_by_test_id("line-comment-zone")).to_have_count(0)
            expect(code.locator(".view-line").nth(0)).to_contain_text("Demo Teacher: Read both numbers")
            expect(code.locator(".view-line").nth(1)).to_contain_text("Demo Teacher: What if a is not 2?")
            shot(page, output_dir, f"5a-bo-comments-after-lines-{name}")
        comments.scroll_into_view_if_needed()
        no_sideways_scroll(page)
        assert_accessible(page, f"the student's comments ({name})")
        shot(page, output_dir, f"5-bo-comments-{name}")
