"""The admin edits a session's starter files as JSON: the same file-name rule as the API
(a starter file named "my file.py" would be copied to every student who joins)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.sessions.factories import ClassSessionFactory

pytestmark = pytest.mark.django_db


def _change(admin_user: Any, session: Any, starter_files: Any) -> Any:
    client = Client()
    client.force_login(admin_user)
    form = {
        "teacher": str(session.teacher_id), "title": session.title, "language": session.language,
        "instructions": "", "starter_files": json.dumps(starter_files), "max_participants": "100",
        "teacher_can_edit": "on", "state": session.state,
        "participants-TOTAL_FORMS": "0", "participants-INITIAL_FORMS": "0",
    }  # fmt: skip
    return client.post(f"/admin/classroom/classsession/{session.pk}/change/", form)


@pytest.mark.parametrize(("starter_files", "says"), [
    ([{"name": "my file.py", "content": ""}], "cannot contain spaces"),
    ([{"name": "a.py", "content": ""}, {"name": "a.py", "content": "2"}], "must be unique"),
    ([{"name": 5, "content": ""}], "Expected a string"),
    ({"name": "a.py"}, "Expected a list"),
])  # fmt: skip
def test_the_admin_refuses_starter_files_the_api_would(admin_user, starter_files, says) -> None:
    session = ClassSessionFactory(starter_files=[{"name": "main.py", "content": "print(1)\n"}])
    response = _change(admin_user, session, starter_files)
    assert response.status_code == 200 and says in response.content.decode()
    session.refresh_from_db()
    assert session.starter_files == [{"name": "main.py", "content": "print(1)\n"}]


def test_the_admin_saves_good_starter_files(admin_user) -> None:
    session = ClassSessionFactory(starter_files=[])
    response = _change(admin_user, session, [{"name": "util.py", "content": "x = 1\n"}])
    assert response.status_code == 302, response.content.decode()[:3000]
    session.refresh_from_db()
    assert session.starter_files == [{"name": "util.py", "content": "x = 1\n"}]
