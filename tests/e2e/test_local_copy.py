"""The last-second window (issue 17): the server keeps typing in memory for up to
LIVE_FLUSH_SECONDS before it writes it, and a tab that is offline keeps it only in
memory. The student's browser also keeps every document in IndexedDB, so when the
server dies (kill -9) and the student's tab is closed before the server is back, the
reopened tab gives the server everything that was typed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.classes import call, join_guest, open_as_student, sign_in_teacher, start_class
from tests.e2e.server import LiveServer, start_server
from tests.e2e.ui import new_page

BEFORE = "print('typed before the crash')"
OFFLINE = "print('typed while the server was down')"

COUNT_STORED_UPDATES = """name => new Promise((resolve, reject) => {
  const open = indexedDB.open(name);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const count = db.transaction('updates', 'readonly').objectStore('updates').count();
    count.onsuccess = () => { db.close(); resolve(count.result); };
    count.onerror = () => reject(count.error);
  };
})"""


@pytest.fixture
def own_server() -> Iterator[LiveServer]:
    """A server of this test's own: it is killed and started again."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


def server_text(server: LiveServer, token: str, participant_id: str) -> str:
    files = call(server, "GET", f"/api/participants/{participant_id}/files/", token=token)
    return "\n".join(file["content"] for file in files)


def wait_for_server_text(server: LiveServer, token: str, participant_id: str, wanted: list[str]) -> str:
    deadline = time.monotonic() + 30
    text = ""
    while time.monotonic() < deadline:
        text = server_text(server, token, participant_id)
        if all(part in text for part in wanted):
            return text
        time.sleep(0.2)
    raise AssertionError(f"the server never held {wanted!r}; it holds {text!r}")


def stored_updates(page: Page, document_id: str) -> int:
    return int(page.evaluate(COUNT_STORED_UPDATES, f"observer-document-{document_id}"))


@pytest.mark.timeout(300)
def test_a_reopened_tab_gives_back_what_the_dead_server_and_closed_tab_held(
    browser: Browser, own_server: LiveServer
) -> None:
    server = own_server
    teacher = sign_in_teacher(server)
    session = start_class(server, teacher, "Local copies")
    student = join_guest(server, session["join_code"], "Lin")
    files = call(server, "GET", f"/api/participants/{student.participant_id}/files/", token=teacher.access)
    document_id = files[0]["id"]

    page = new_page(browser, server.base_url)
    open_as_student(page, student)
    editor = page.locator("[data-testid=code-editor] .view-lines")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(BEFORE)
    wait_for_server_text(server, teacher.access, student.participant_id, [BEFORE])

    # The server dies; the student goes on typing, offline.
    server.crash()
    expect(page.get_by_test_id("connection")).not_to_have_attribute("data-status", "connected")
    stored = stored_updates(page, document_id)
    page.keyboard.press("ControlOrMeta+End")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(OFFLINE)
    deadline = time.monotonic() + 10
    while stored_updates(page, document_id) <= stored and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert stored_updates(page, document_id) > stored, "the offline typing never reached IndexedDB"

    # Then the laptop dies too: the tab is gone before the server is back.
    context = page.context
    page.close()
    server.restart()
    assert OFFLINE not in server_text(server, teacher.access, student.participant_id)

    # The student opens the class again in the same browser: nothing typed is lost.
    reopened = context.new_page()
    open_as_student(reopened, student)
    text = wait_for_server_text(server, teacher.access, student.participant_id, [BEFORE, OFFLINE])
    assert text.count(BEFORE) == 1 and text.count(OFFLINE) == 1, text
    context.close()
