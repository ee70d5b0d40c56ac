"""A whole class through the REST API alone: create, start, join, read, push, help,
analytics, end, export, reopen."""

from __future__ import annotations

import io
import zipfile

import pytest

from sessions.models import SessionState
from tests.sessions.factories import ExecutionFactory

pytestmark = pytest.mark.django_db(transaction=False)

GUEST_KEY = "k" * 32


def test_it_runs_a_whole_class_through_the_api(api, client_for, teacher, student) -> None:
    t = client_for(teacher)
    created = t.post(
        "/api/sessions/",
        {
            "title": "Loops",
            "language": "python",
            "instructions": "# Loops\nPrint 1..10",
            "starter_files": [{"name": "main.py", "content": "for i in range(10):\n    pass\n"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    session = created.json()
    assert session["state"] == "draft" and session["join_code"] is None
    assert session["teacher"]["id"] == str(teacher.pk)

    started = t.post(f"/api/sessions/{session['id']}/start")
    assert started.status_code == 200
    code = started.json()["join_code"]
    assert started.json()["state"] == "live" and len(code) == 6

    # A signed-in student and a guest join; joining again gives the same participant.
    s = client_for(student)
    joined = s.post("/api/join", {"code": code.lower()}, format="json")
    assert joined.status_code == 201, joined.content
    body = joined.json()
    assert "token" not in body
    assert [f["name"] for f in body["files"]] == ["main.py"]
    pid = body["participant"]["id"]
    assert s.post("/api/join", {"code": code}, format="json").json()["participant"]["id"] == pid

    guest_join = api.post("/api/join", {"code": code, "display_name": "Grace", "guest_key": GUEST_KEY}, format="json")
    assert guest_join.status_code == 201
    gid = guest_join.json()["participant"]["id"]
    again = api.post("/api/join", {"code": code, "display_name": "Grace", "guest_key": GUEST_KEY}, format="json")
    assert again.status_code == 200 and again.json()["participant"]["id"] == gid
    g = client_for(guest_join.json()["token"])
    current = g.get("/api/sessions/current")
    assert current.status_code == 200
    assert current.json()["participant"]["id"] == gid and current.json()["session"]["id"] == session["id"]

    # The teacher sees both and reads the student's files.
    listed = t.get(f"/api/sessions/{session['id']}/participants/").json()
    assert {p["display_name"] for p in listed} == {student.name, "Grace"}
    assert all(p["online"] is False and p["open_help_request"] is None for p in listed)
    files = t.get(f"/api/participants/{pid}/files/").json()
    main_id = files[0]["id"]

    # The student changes main.py, so a push of main.py arrives as a copy; the guest's is replaced.
    edited = s.patch(f"/api/participants/{pid}/files/{main_id}/", {"content": "print(1)\n"}, format="json")
    assert edited.status_code == 200, edited.content
    pushed = t.post(f"/api/sessions/{session['id']}/push", {"name": "main.py", "content": "print(2)\n"}, format="json")
    assert pushed.status_code == 200, pushed.content
    names = {d["participant_id"]: d["name"] for d in pushed.json()["delivered"]}
    assert names == {pid: "main_from_teacher.py", gid: "main.py"}
    assert {f["name"]: f["content"] for f in s.get(f"/api/participants/{pid}/files/").json()} == {
        "main.py": "print(1)\n",
        "main_from_teacher.py": "print(2)\n",
    }
    assert g.get(f"/api/participants/{gid}/files/").json()[0]["content"] == "print(2)\n"

    # A run fails, the student raises a hand; the teacher claims and resolves it.
    ExecutionFactory(participant_id=pid, session_id=session["id"], user=student, status="runtime-error",
                     message="ZeroDivisionError: division by zero", output_tail="Traceback...\nZeroDivisionError\n")
    raised = s.post(f"/api/participants/{pid}/help", {"message": "why?", "file_id": main_id, "line": 1}, format="json")
    assert raised.status_code == 201, raised.content
    help_request = raised.json()
    assert help_request["file_name"] == "main.py" and help_request["line"] == 1
    assert "ZeroDivisionError" in help_request["last_output"]
    queue = t.get(f"/api/sessions/{session['id']}/help/").json()
    assert [h["id"] for h in queue] == [help_request["id"]]
    claimed = t.post(f"/api/help/{help_request['id']}/claim").json()
    assert claimed["state"] == "claimed" and claimed["claimed_by"]["id"] == str(teacher.pk)
    assert t.post(f"/api/help/{help_request['id']}/resolve").json()["state"] == "resolved"
    assert t.get(f"/api/sessions/{session['id']}/help/").json() == []

    analytics = t.get(f"/api/sessions/{session['id']}/analytics").json()
    mine = next(row for row in analytics["students"] if row["participant_id"] == pid)
    assert mine["runs"] == 1 and mine["runs_by_status"] == {"runtime-error": 1}
    assert mine["last_error"] == "runtime-error: ZeroDivisionError: division by zero"
    assert mine["help_requests"] == 1
    assert analytics["session"]["participants"] == 2 and analytics["session"]["runs"] == 1

    # Ending makes students read-only and refuses joins; the teacher keeps everything.
    ended = t.post(f"/api/sessions/{session['id']}/end")
    assert ended.json()["state"] == SessionState.ENDED
    refused = s.patch(f"/api/participants/{pid}/files/{main_id}/", {"content": "x"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "session_ended"
    late = api.post("/api/join", {"code": code, "display_name": "Late"}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "session_ended"

    exported = t.get(f"/api/sessions/{session['id']}/export")
    assert exported.status_code == 200 and exported["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(exported.streaming_content)))
    assert set(archive.namelist()) == {
        "session.json", "participants.csv", "runs.csv",
        f"{student.name}/main.py", f"{student.name}/main_from_teacher.py", "Grace/main.py",
    }  # fmt: skip
    assert archive.read(f"{student.name}/main.py") == b"print(1)\n"

    reopened = t.post(f"/api/sessions/{session['id']}/reopen")
    assert reopened.json()["state"] == "live" and reopened.json()["join_code"] == code
