"""Pushing a file to the class: new file, replacement of an untouched one, or a copy
beside the student's work; never an overwrite."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from sessions.live.crdt import current_text, text_of_state
from sessions.models import Document
from tests.sessions.conftest import logged_edit
from tests.sessions.factories import ClassSessionFactory, DocumentFactory, GuestParticipantFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def push(client, session, **body):
    return client.post(f"/api/sessions/{session.pk}/push", body, format="json")


def files_of(participant) -> dict[str, str]:
    documents = Document.objects.filter(participant=participant, deleted_at__isnull=True)
    return dict(documents.values_list("name", "content"))


def test_it_delivers_a_new_file_to_every_present_student(client_for, teacher, live_session, participant, guest):
    gone = ParticipantFactory(session=live_session, removed_at=timezone.now())
    body = push(client_for(teacher), live_session, name="task2.py", content="# task 2\n").json()
    assert {d["participant_id"] for d in body["delivered"]} == {str(participant.pk), str(guest.pk)}
    assert body["skipped"] == []
    assert files_of(participant) == {"task2.py": "# task 2\n"} == files_of(guest)
    assert files_of(gone) == {}
    document = Document.objects.get(participant=participant)
    assert document.modified is False and document.yjs_state == b""  # the live layer seeds it


def test_it_replaces_an_untouched_file_through_the_crdt(client_for, teacher, live_session, participant) -> None:
    untouched = DocumentFactory(participant=participant, name="main.py", content="old", modified=False)
    body = push(client_for(teacher), live_session, name="main.py", content="new\n").json()
    delivered = {"participant_id": str(participant.pk), "file_id": str(untouched.pk), "name": "main.py"}
    assert body["delivered"] == [delivered]
    document = Document.objects.get(pk=untouched.pk)
    assert document.content == "new\n" and text_of_state(bytes(document.yjs_state)) == "new\n"
    assert document.modified is False  # a later push may replace it again
    assert document.updates.order_by("-seq").first().author_user_id == teacher.pk


def test_it_never_overwrites_a_changed_file(client_for, teacher, live_session, participant) -> None:
    DocumentFactory(participant=participant, name="main.py", content="my work", modified=True)
    t = client_for(teacher)
    assert push(t, live_session, name="main.py", content="v1").json()["delivered"][0]["name"] == "main_from_teacher.py"
    assert files_of(participant) == {"main.py": "my work", "main_from_teacher.py": "v1"}
    # The untouched copy is refreshed by the next push; once the student edits it, a new copy comes.
    assert push(t, live_session, name="main.py", content="v2").json()["delivered"][0]["name"] == "main_from_teacher.py"
    Document.objects.filter(name="main_from_teacher.py").update(modified=True)
    third = push(t, live_session, name="main.py", content="v3").json()["delivered"][0]["name"]
    assert third == "main_from_teacher_2.py"
    assert files_of(participant) == {"main.py": "my work", "main_from_teacher.py": "v2", "main_from_teacher_2.py": "v3"}


def test_copies_of_compiled_sources_are_not_built_with_the_program(client_for, teacher) -> None:
    session = ClassSessionFactory(teacher=teacher, language="java")
    student = ParticipantFactory(session=session)
    DocumentFactory(participant=student, name="Main.java", content="class Main {}", modified=True)
    body = push(client_for(teacher), session, name="Main.java", content="public class Main {}").json()
    assert body["delivered"][0]["name"] == "Main_from_teacher.java.txt"


def test_it_pushes_to_one_student(client_for, teacher, live_session, participant, guest) -> None:
    body = push(client_for(teacher), live_session, name="hint.py", content="# hint", participant_id=str(guest.pk))
    assert [d["participant_id"] for d in body.json()["delivered"]] == [str(guest.pk)]
    assert files_of(participant) == {} and files_of(guest) == {"hint.py": "# hint"}


@override_settings(CLASSROOM={"IDLE_SESSION_HOURS": 12, "GUEST_RETENTION_DAYS": 30, "MAX_FILES_PER_PARTICIPANT": 1})
def test_it_skips_students_who_have_no_room_left(client_for, teacher, live_session, participant, guest) -> None:
    DocumentFactory(participant=participant, name="full.py")
    DocumentFactory(participant=guest, name="hint.py", modified=False)
    body = push(client_for(teacher), live_session, name="hint.py", content="1").json()
    assert body["skipped"] == [{"participant_id": str(participant.pk), "reason": "too many files"}]
    assert [d["participant_id"] for d in body["delivered"]] == [str(guest.pk)]  # a replacement needs no room


def test_it_tells_each_student_what_arrived(client_for, teacher, live_session, participant, guest,
                                            django_capture_on_commit_callbacks) -> None:  # fmt: skip
    with mock.patch("sessions.events._send") as send, django_capture_on_commit_callbacks(execute=True):
        push(client_for(teacher), live_session, name="task.py", content="1")
    sent = {group: event for (group, event), _ in send.call_args_list}
    for student in (participant, guest):
        event = sent[f"participant.{student.pk.hex}"]
        assert event["type"] == "file.pushed"
        assert event["file"]["name"] == "task.py" and event["file"]["participant_id"] == str(student.pk)
        assert event["file"]["content"] == "1" and event["file"]["size"] == 1


def test_a_push_to_many_students_uses_a_bounded_number_of_queries(
    client_for, teacher, live_session, django_assert_max_num_queries
) -> None:
    for _ in range(25):
        GuestParticipantFactory(session=live_session)
    t = client_for(teacher)
    with django_assert_max_num_queries(12):
        assert len(push(t, live_session, name="new.py", content="x").json()["delivered"]) == 25


def test_it_never_overwrites_typing_that_is_logged_but_not_yet_snapshotted(
    client_for, teacher, live_session, participant
) -> None:
    document = DocumentFactory(participant=participant, name="main.py", content="starter\n", modified=False)
    logged_edit(document, "starter\nmy first line\n", by=participant)  # the flag follows only with the snapshot
    body = push(client_for(teacher), live_session, name="main.py", content="teacher\n").json()
    assert body["delivered"][0]["name"] == "main_from_teacher.py"
    assert current_text(document=document) == "starter\nmy first line\n"


def test_it_never_overwrites_a_students_edit_snapshotted_by_another_process(
    client_for, teacher, live_session, participant
) -> None:
    document = DocumentFactory(participant=participant, name="main.py", content="starter\n", modified=False)
    logged_edit(document, "mine\n", by=participant, snapshot=True)  # a relaying hub leaves modified False
    assert Document.objects.get(pk=document.pk).modified is False
    body = push(client_for(teacher), live_session, name="main.py", content="teacher\n").json()
    assert body["delivered"][0]["name"] == "main_from_teacher.py"
    assert files_of(participant) == {"main.py": "mine\n", "main_from_teacher.py": "teacher\n"}


def test_it_still_replaces_a_file_only_earlier_pushes_wrote(client_for, teacher, live_session, participant) -> None:
    t = client_for(teacher)
    first = push(t, live_session, name="task.py", content="v1\n").json()["delivered"][0]
    again = push(t, live_session, name="task.py", content="v2\n").json()["delivered"][0]
    assert again == first
    assert files_of(participant) == {"task.py": "v2\n"}
