"""REST reads and writes see the freshest text of a file: the live layer logs edits every
second but snapshots `content` only after 2 s idle (at most every 15 s)."""

from __future__ import annotations

import pytest

from sessions.live.crdt import current_text
from sessions.models import Document
from tests.sessions.conftest import logged_edit
from tests.sessions.factories import DocumentFactory

pytestmark = pytest.mark.django_db

STARTER = "print('hi')\n"
TYPED = "print('hi')\nprint('typed a second ago')\n"


@pytest.fixture
def main_file(participant):
    document = DocumentFactory(participant=participant, name="main.py", content=STARTER)
    logged_edit(document, TYPED, by=participant)
    assert Document.objects.get(pk=document.pk).content == STARTER  # the snapshot is behind
    return document


def files_url(participant) -> str:
    return f"/api/participants/{participant.pk}/files/"


def test_the_list_and_one_file_show_what_was_typed(client_for, student, teacher, participant, main_file) -> None:
    for client in (client_for(student), client_for(teacher)):
        (listed,) = client.get(files_url(participant)).json()
        one = client.get(f"{files_url(participant)}{main_file.pk}/").json()
        assert listed["content"] == one["content"] == TYPED
        assert listed["size"] == one["size"] == len(TYPED.encode())


def test_joining_again_and_reloading_show_what_was_typed(client_for, student, live_session, main_file) -> None:
    me = client_for(student)
    joined = me.post("/api/join", {"code": live_session.join_code}, format="json").json()
    assert [f["content"] for f in joined["files"]] == [TYPED]
    assert [f["content"] for f in me.get("/api/sessions/current").json()["files"]] == [TYPED]


def test_a_patch_back_to_the_stale_snapshot_text_is_applied(client_for, student, participant, main_file) -> None:
    response = client_for(student).patch(f"{files_url(participant)}{main_file.pk}/", {"content": STARTER},
                                         format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["content"] == STARTER
    assert current_text(document=main_file) == STARTER
    assert Document.objects.get(pk=main_file.pk).content == STARTER


def test_a_patch_equal_to_the_current_text_changes_nothing(client_for, student, participant, main_file) -> None:
    logged = main_file.updates.count()
    response = client_for(student).patch(f"{files_url(participant)}{main_file.pk}/", {"content": TYPED},
                                         format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["content"] == TYPED
    assert main_file.updates.count() == logged


def test_a_rename_answers_with_the_current_text(client_for, student, participant, main_file) -> None:
    response = client_for(student).patch(f"{files_url(participant)}{main_file.pk}/", {"name": "app.py"},
                                         format="json")  # fmt: skip
    assert response.json()["name"] == "app.py" and response.json()["content"] == TYPED


def test_the_file_list_stays_a_few_queries_with_a_file_behind(
    client_for, student, participant, main_file, django_assert_max_num_queries
) -> None:
    for n in range(10):
        DocumentFactory(participant=participant, name=f"f{n}.py")
    me = client_for(student)
    with django_assert_max_num_queries(5):  # 3, plus reading the one file's log
        assert len(me.get(files_url(participant)).json()) == 11
