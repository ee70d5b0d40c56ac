"""A student's files together fit in one run: the sandbox caps the source of a run (all
its files together, coding.sandbox.requests), so the file cap alone is not enough."""

from __future__ import annotations

import pytest

from coding.languages import get_language
from coding.runner import default_limits
from coding.sandbox.requests import InvalidRun, prepare_sources
from sessions import filenames
from sessions.models import Document
from tests.sessions.conftest import logged_edit, refused, snapshot
from tests.sessions.factories import DocumentFactory

pytestmark = pytest.mark.django_db

LIMIT = filenames.max_content_bytes("python")
SIXTY_PERCENT = "x" * (LIMIT * 6 // 10)


@pytest.fixture
def files_url(participant) -> str:
    return f"/api/participants/{participant.pk}/files/"


def test_the_cap_is_the_sandboxs_limit_for_one_run() -> None:
    two = [("a.py", SIXTY_PERCENT), ("b.py", SIXTY_PERCENT)]
    with pytest.raises(InvalidRun, match="source too large"):
        prepare_sources(two, "a.py", get_language("python"), default_limits("python"))
    assert LIMIT == default_limits("python").source_bytes


def test_it_refuses_a_second_large_file(client_for, student, participant, files_url) -> None:
    me = client_for(student)
    assert me.post(files_url, {"name": "a.py", "content": SIXTY_PERCENT}, format="json").status_code == 201
    before = snapshot()
    response = me.post(files_url, {"name": "b.py", "content": SIXTY_PERCENT}, format="json")
    refused(response, 400, "file_too_large")
    assert "together" in response.json()["error"]["message"]
    assert snapshot() == before


def test_it_refuses_growing_one_file_past_what_the_others_leave(client_for, student, participant, files_url) -> None:
    DocumentFactory(participant=participant, name="a.py", content=SIXTY_PERCENT)
    small = DocumentFactory(participant=participant, name="b.py", content="x = 1\n")
    me = client_for(student)
    before = snapshot()
    refused(me.patch(f"{files_url}{small.pk}/", {"content": SIXTY_PERCENT}, format="json"), 400, "file_too_large")
    assert snapshot() == before
    # Rewriting the large file itself only counts its new size.
    replaced = me.patch(f"{files_url}{Document.objects.get(name='a.py').pk}/", {"content": SIXTY_PERCENT + "y"},
                        format="json")  # fmt: skip
    assert replaced.status_code == 200


def test_it_counts_what_was_typed_since_the_last_snapshot(client_for, student, participant, files_url) -> None:
    typed = DocumentFactory(participant=participant, name="a.py", content="")
    logged_edit(typed, SIXTY_PERCENT, by=participant)
    refused(client_for(student).post(files_url, {"name": "b.py", "content": SIXTY_PERCENT}, format="json"),
            400, "file_too_large")  # fmt: skip


def test_a_push_skips_a_student_it_would_take_past_the_cap(client_for, teacher, live_session, participant, guest):
    DocumentFactory(participant=participant, name="a.py", content=SIXTY_PERCENT)
    body = client_for(teacher).post(f"/api/sessions/{live_session.pk}/push",
                                    {"name": "b.py", "content": SIXTY_PERCENT}, format="json").json()  # fmt: skip
    assert body["skipped"] == [{"participant_id": str(participant.pk), "reason": "files too large together"}]
    assert [d["participant_id"] for d in body["delivered"]] == [str(guest.pk)]
    assert not Document.objects.filter(participant=participant, name="b.py").exists()


def test_starter_files_must_fit_in_one_run_together(client_for, teacher, live_session) -> None:
    t = client_for(teacher)
    starters = [{"name": "a.py", "content": SIXTY_PERCENT}, {"name": "b.py", "content": SIXTY_PERCENT}]
    before = snapshot()
    body = {"title": "T", "language": "python", "starter_files": starters}
    refused(t.post("/api/sessions/", body, format="json"), 400, "file_too_large")
    refused(t.patch(f"/api/sessions/{live_session.pk}/", {"starter_files": starters}, format="json"),
            400, "file_too_large")  # fmt: skip
    assert snapshot() == before
    assert t.post("/api/sessions/", {**body, "starter_files": starters[:1]}, format="json").status_code == 201
