"""A participant's files through REST: list, create, rename, rewrite (in step with the
CRDT), delete, download; teacher edits are audited."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import AuditEvent
from sessions.live.crdt import text_of_state
from sessions.models import Document, DocumentUpdate
from tests.sessions.conftest import refused
from tests.sessions.factories import DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def main_file(participant):
    return DocumentFactory(participant=participant, name="main.py", content="print('hi')\n")


def url(participant, document=None) -> str:
    base = f"/api/participants/{participant.pk}/files/"
    return f"{base}{document.pk}/" if document else base


def test_it_lists_files_oldest_first_with_sizes_in_bytes(client_for, student, participant, main_file) -> None:
    later = DocumentFactory(participant=participant, name="b.py", content="é")
    Document.objects.filter(pk=later.pk).update(created_at=main_file.created_at + timedelta(seconds=1))
    DocumentFactory(participant=participant, name="gone.py", deleted_at=timezone.now())
    body = client_for(student).get(url(participant)).json()
    assert [(f["name"], f["size"]) for f in body] == [("main.py", 12), ("b.py", 2)]
    assert set(body[0]) == {"id", "name", "content", "updated_at", "size"}


def test_a_student_creates_files_that_count_as_their_work(client_for, student, participant) -> None:
    me = client_for(student)
    written = me.post(url(participant), {"name": "util.py", "content": "  x = 1\n\n"}, format="json")
    assert written.status_code == 201
    assert written.json()["content"] == "  x = 1\n\n"  # kept exactly, whitespace included
    empty = me.post(url(participant), {"name": "empty.py"}, format="json").json()
    assert Document.objects.get(pk=written.json()["id"]).modified is True
    assert Document.objects.get(pk=empty["id"]).modified is False


def test_rewriting_goes_through_the_crdt_log(client_for, student, participant, main_file) -> None:
    response = client_for(student).patch(url(participant, main_file), {"content": "print('bye')\n"}, format="json")
    assert response.status_code == 200 and response.json()["content"] == "print('bye')\n"
    document = Document.objects.get(pk=main_file.pk)
    assert document.content == "print('bye')\n" and document.modified
    assert text_of_state(bytes(document.yjs_state)) == "print('bye')\n"
    last = DocumentUpdate.objects.filter(document=document).order_by("-seq").first()
    assert last is not None and last.author_participant_id == participant.pk and last.author_user_id == student.pk


def test_a_guest_rewrite_is_authored_by_the_guest(as_guest, guest) -> None:
    document = DocumentFactory(participant=guest, name="main.py", content="a")
    assert as_guest(guest).patch(url(guest, document), {"content": "b"}, format="json").status_code == 200
    last = DocumentUpdate.objects.filter(document=document).order_by("-seq").first()
    assert last.author_participant_id == guest.pk and last.author_user_id is None


def test_an_unchanged_rewrite_logs_nothing(client_for, student, participant, main_file) -> None:
    me = client_for(student)
    me.patch(url(participant, main_file), {"content": "v2"}, format="json")
    count = DocumentUpdate.objects.filter(document=main_file).count()
    me.patch(url(participant, main_file), {"content": "v2"}, format="json")
    assert DocumentUpdate.objects.filter(document=main_file).count() == count


def test_renaming_keeps_the_text(client_for, student, participant, main_file) -> None:
    body = client_for(student).patch(url(participant, main_file), {"name": "app.py"}, format="json").json()
    assert body["name"] == "app.py" and body["content"] == "print('hi')\n"
    assert not DocumentUpdate.objects.filter(document=main_file).exists()
    assert Document.objects.get(pk=main_file.pk).modified is False


def test_rename_and_rewrite_at_once(client_for, student, participant, main_file) -> None:
    body = client_for(student).patch(url(participant, main_file), {"name": "a.py", "content": "1"}, format="json")
    assert body.json()["name"] == "a.py" and body.json()["content"] == "1"


def test_deleting_hides_the_file_but_keeps_its_history(client_for, student, participant, main_file) -> None:
    me = client_for(student)
    me.patch(url(participant, main_file), {"content": "v2"}, format="json")
    assert me.delete(url(participant, main_file)).status_code == 204
    assert me.get(url(participant)).json() == []
    refused(me.get(url(participant, main_file)), 404, "not_found")
    refused(me.delete(url(participant, main_file)), 404, "not_found")
    assert Document.objects.get(pk=main_file.pk).deleted_at is not None
    assert DocumentUpdate.objects.filter(document=main_file).exists()


def test_teacher_edits_are_audited(client_for, teacher, participant, main_file) -> None:
    t = client_for(teacher)
    created = t.post(url(participant), {"name": "hint.py", "content": "# try a loop"}, format="json")
    assert created.status_code == 201
    t.patch(url(participant, main_file), {"content": "fixed"}, format="json")
    t.delete(url(participant, main_file))
    events = list(AuditEvent.objects.filter(action="file.teacher_edit").order_by("created_at", "id"))
    assert [e.details["change"] for e in events] == ["create", "update", "delete"]
    assert all(e.actor == teacher and e.details["participant_id"] == str(participant.pk) for e in events)
    last = DocumentUpdate.objects.filter(document=main_file).order_by("-seq").first()
    assert last.author_user_id == teacher.pk and last.author_participant_id is None


def test_student_edits_are_not_audited(client_for, student, participant, main_file) -> None:
    client_for(student).patch(url(participant, main_file), {"content": "mine"}, format="json")
    assert not AuditEvent.objects.filter(action="file.teacher_edit").exists()


def test_a_removed_students_files_stay_readable_but_frozen(client_for, teacher, participant, main_file) -> None:
    participant.removed_at = timezone.now()
    participant.save()
    t = client_for(teacher)
    assert t.get(url(participant)).status_code == 200
    refused(t.patch(url(participant, main_file), {"content": "x"}, format="json"), 409, "conflict")


def test_it_downloads_a_participants_files_as_a_zip(client_for, student, participant, main_file) -> None:
    DocumentFactory(participant=participant, name="notes.txt", content="ünïcode")
    response = client_for(student).get(url(participant) + "download", HTTP_ACCEPT="application/zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    assert {n: archive.read(n).decode() for n in archive.namelist()} == {
        "main.py": "print('hi')\n", "notes.txt": "ünïcode",
    }  # fmt: skip


def test_the_file_list_is_one_query_after_authentication(
    client_for, student, participant, main_file, django_assert_max_num_queries
) -> None:
    for n in range(10):
        DocumentFactory(participant=participant, name=f"f{n}.py")
    me = client_for(student)
    with django_assert_max_num_queries(3):
        assert len(me.get(url(participant)).json()) == 11
