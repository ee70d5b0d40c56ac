"""Setting up a class through the API (fast, and no sign-in form per test: the login
allowance per username is small), then opening pages as the teacher or a student."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.server import LiveServer
from tests.e2e.ui import wait_editor_ready


def call(server: LiveServer, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    request = urllib.request.Request(f"{server.base_url}{path}", method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data=data, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


@dataclass
class Teacher:
    access: str
    refresh: str


@dataclass
class Student:
    name: str
    session_id: str
    participant_id: str
    token: str


def sign_in_teacher(server: LiveServer) -> Teacher:
    answer = call(server, "POST", "/api/auth/login", {"username": server.teacher_username,
                                                       "password": server.teacher_password})  # fmt: skip
    return Teacher(answer["access"], answer["refresh"])


def start_class(server: LiveServer, teacher: Teacher, title: str, instructions: str = "") -> dict[str, Any]:
    body = {"title": title, "language": "python", "instructions": instructions,
            "starter_files": [{"name": "main.py", "content": "print('hello')\n"}]}  # fmt: skip
    created = call(server, "POST", "/api/sessions/", body, teacher.access)
    return dict(call(server, "POST", f"/api/sessions/{created['id']}/start", {}, teacher.access))


def join_guest(server: LiveServer, code: str, name: str) -> Student:
    answer = call(server, "POST", "/api/join", {"code": code, "display_name": name})
    return Student(name, answer["session"]["id"], answer["participant"]["id"], answer["token"])


def open_as_teacher(page: Page, teacher: Teacher, path: str) -> None:
    page.goto("/login")
    page.evaluate("pair => localStorage.setItem('observer.tokens', JSON.stringify(pair))",
                  {"access": teacher.access, "refresh": teacher.refresh})  # fmt: skip
    page.goto(path)


def open_as_student(page: Page, student: Student) -> None:
    """The student's workspace, as after joining in this browser."""
    page.goto("/join")
    identity = {"token": student.token, "sessionId": student.session_id, "participantId": student.participant_id,
                "displayName": student.name}  # fmt: skip
    page.evaluate("id => localStorage.setItem('observer.guest.' + id.sessionId, JSON.stringify(id))", identity)
    page.goto(f"/s/{student.session_id}")
    expect(page.get_by_test_id("workspace")).to_be_visible()
    wait_editor_ready(page)
