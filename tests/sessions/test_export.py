"""The session export: a streamed zip with one folder per student and CSVs of
participants and runs; and the streaming machinery itself."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from coding.models import Execution
from monitoring.models import AuditEvent
from sessions import export
from sessions.live import store, ydoc
from sessions.live.crdt import replace_text
from tests.sessions.factories import DocumentFactory, ExecutionFactory, GuestParticipantFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def download(client, session) -> tuple[zipfile.ZipFile, list[bytes]]:
    response = client.get(f"/api/sessions/{session.pk}/export")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    chunks = list(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    return archive, chunks


def rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def test_it_exports_every_student_and_their_runs(client_for, teacher, live_session, participant, guest) -> None:
    DocumentFactory(participant=participant, name="main.py", content="print(1)\n")
    DocumentFactory(participant=participant, name="old.py", deleted_at=timezone.now())
    DocumentFactory(participant=guest, name="main.py", content="print(2)\n")
    removed = GuestParticipantFactory(session=live_session, display_name="Left early", removed_at=timezone.now())
    DocumentFactory(participant=removed, name="a.py", content="kept")
    first = ExecutionFactory(participant=participant, status="runtime-error", message="NameError: x")
    second = ExecutionFactory(participant=guest, status="ok")
    Execution.objects.filter(pk=second.pk).update(created_at=first.created_at + timedelta(seconds=1))
    for minutes, who in enumerate([removed, guest, participant]):  # joined: participant, guest, removed
        type(who).objects.filter(pk=who.pk).update(joined_at=timezone.now() - timedelta(minutes=minutes))
    archive, _ = download(client_for(teacher), live_session)
    assert set(archive.namelist()) == {
        "session.json", "participants.csv", "runs.csv",
        f"{participant.display_name}/main.py", f"{guest.display_name}/main.py", "Left early/a.py",
    }  # fmt: skip
    assert archive.read(f"{guest.display_name}/main.py") == b"print(2)\n"
    info = json.loads(archive.read("session.json"))
    assert info["title"] == live_session.title and info["starter_files"] == live_session.starter_files
    people = rows(archive, "participants.csv")
    assert [p["display_name"] for p in people] == [participant.display_name, guest.display_name, "Left early"]
    assert people[0]["username"] == participant.user.username and people[0]["files"] == "1"
    assert people[0]["runs"] == "1" and people[0]["last_error"] == "runtime-error: NameError: x"
    assert people[2]["removed_at"] != "" and people[1]["is_guest"] == "True"
    runs = rows(archive, "runs.csv")
    assert [(r["display_name"], r["status"]) for r in runs] == [
        (participant.display_name, "runtime-error"), (guest.display_name, "ok"),
    ]  # fmt: skip
    assert [r["error"] for r in runs] == ["NameError: x", ""]
    assert AuditEvent.objects.filter(action="session.exported", actor=teacher).count() == 1


def test_namesakes_and_odd_names_get_safe_distinct_folders(client_for, teacher, live_session) -> None:
    for name in ("Alex", "alex", "../../etc", "=cmd|' /C calc'!A0", "\x07"):
        DocumentFactory(participant=GuestParticipantFactory(session=live_session, display_name=name), name="m.py")
    archive, _ = download(client_for(teacher), live_session)
    folders = sorted(n.rsplit("/", 1)[0] for n in archive.namelist() if n.endswith("/m.py"))
    assert folders == sorted(["Alex", "alex (2)", "_.._etc", "=cmd_' _C calc'!A0", "student"])
    assert all(not f.startswith((".", "/")) for f in folders)
    people = rows(archive, "participants.csv")
    assert "'=cmd|' /C calc'!A0" in [p["display_name"] for p in people]  # not a formula in a spreadsheet


def test_it_streams_in_pieces(client_for, teacher, live_session) -> None:
    for n in range(3):
        student = ParticipantFactory(session=live_session)
        DocumentFactory(participant=student, name="big.py", content=f"# {n}\n" + "".join(
            f"print({i} * {i * 7919 % 104729})\n" for i in range(6000)))  # fmt: skip
    archive, chunks = download(client_for(teacher), live_session)
    assert len(chunks) > 3
    assert len(archive.namelist()) == 6


def test_it_exports_the_freshest_text_from_the_crdt_log(client_for, teacher, live_session, participant) -> None:
    document = DocumentFactory(participant=participant, name="main.py", content="")
    replace_text(document=document, text="v1")
    doc = ydoc.new_doc(bytes(document.yjs_state))
    with ydoc.capture(doc) as changes:
        ydoc.edit_to(doc, "v2 typed after the last snapshot")
    store.flush(entries={document.pk: [store.LogEntry(update=changes[0].update, at=timezone.now())]})
    document.refresh_from_db()
    assert document.content == "v1"
    archive, _ = download(client_for(teacher), live_session)
    assert archive.read(f"{participant.display_name}/main.py") == b"v2 typed after the last snapshot"


def test_a_large_runs_csv_is_read_in_batches(client_for, teacher, live_session, participant, monkeypatch) -> None:
    monkeypatch.setattr(export, "_RUN_BATCH", 4)
    for _ in range(10):
        ExecutionFactory(participant=participant)
    archive, _ = download(client_for(teacher), live_session)
    runs = rows(archive, "runs.csv")
    assert len(runs) == 10 and len({r["run_id"] for r in runs}) == 10


def test_a_zip_of_nothing_is_still_a_zip() -> None:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.zip_stream([]))))
    assert archive.namelist() == []


async def test_the_asgi_stream_yields_the_same_bytes() -> None:
    expected = [b"a" * 10, b"b", b"c" * 3]
    received = [chunk async for chunk in export.streamed_async(iter(expected))]
    assert received == expected


def test_download_names_are_plain_ascii() -> None:
    assert export.download_name("Élan: loops & lists!") == "elan-loops-lists.zip"
    assert export.download_name("日本") == "session.zip"


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_export_streams_asynchronously(teacher) -> None:
    from asgiref.sync import sync_to_async
    from django.db import connections
    from django.test import AsyncClient

    from accounts.services import token_pair_for
    from tests.sessions.factories import ClassSessionFactory

    def world():
        session = ClassSessionFactory(teacher=teacher)
        DocumentFactory(participant=GuestParticipantFactory(session=session, display_name="Ada"), name="m.py",
                        content="print(42)\n")  # fmt: skip
        return session, token_pair_for(user=teacher)["access"]

    session, token = await sync_to_async(world)()
    try:
        response = await AsyncClient().get(
            f"/api/sessions/{session.pk}/export", headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.content
        assert response.is_async
        body = b"".join([chunk async for chunk in response.streaming_content])
    finally:
        # The view ran in the sync worker thread; its persistent connection would block teardown.
        await sync_to_async(connections.close_all)()
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.read("Ada/m.py") == b"print(42)\n"


def test_a_teacher_or_admin_downloading_one_students_files_is_audited(
    client_for, teacher, admin_user, student, live_session, participant
) -> None:
    DocumentFactory(participant=participant, name="main.py")
    url = f"/api/participants/{participant.pk}/files/download"
    for who in (teacher, admin_user):
        response = client_for(who).get(url)
        assert response.status_code == 200
        b"".join(response.streaming_content)
    events = AuditEvent.objects.filter(action="participant.exported").order_by("created_at", "pk")
    assert [(e.actor_id, e.target_id, e.details) for e in events] == [
        (teacher.pk, str(participant.pk), {"session_id": str(live_session.pk)}),
        (admin_user.pk, str(participant.pk), {"session_id": str(live_session.pk)}),
    ]
    assert client_for(student).get(url).status_code == 200  # a student taking their own files is not news
    assert events.count() == 2


def test_each_failed_run_in_the_export_shows_the_errors_own_line(client_for, teacher, live_session, participant):
    tail = 'File "/work/main.py", line 2\r\n    if x\r\n        ^\r\nSyntaxError: expected \':\'\r\n'
    ExecutionFactory(participant=participant, status="runtime-error", exit_code=1, message="exited with code 1",
                     output_tail=tail)
    archive, _ = download(client_for(teacher), live_session)
    (run,) = rows(archive, "runs.csv")
    assert (run["status"], run["exit_code"], run["error"]) == ("runtime-error", "1", "SyntaxError: expected ':'")
    (person,) = rows(archive, "participants.csv")
    assert person["last_error"] == "runtime-error: SyntaxError: expected ':'"
