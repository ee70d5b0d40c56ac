"""One rule for display names wherever they enter (register, join, the admin), and
JSON types taken as sent: a number where a string is expected is a 400 `invalid`."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from sessions.models import Participant
from tests.factories import PASSWORD
from tests.sessions.factories import ClassSessionFactory, GuestParticipantFactory

pytestmark = pytest.mark.django_db

BAD_NAMES = {
    "the review's name": "Ev\u202eil\x1b[31m\x07 \u200bname",
    "right-to-left override": "Ev\u202elive",
    "bidi isolate": "a\u2066b",
    "terminal escape": "a\x1b[2Jb",
    "bell": "bell\x07",
    "newline": "two\nlines",
    "zero-width space": "ze\u200bro",
    "zero-width joiner only": "\u200d",
    "byte order mark": "\ufeffAda",
    "line separator": "a\u2028b",
    "private use": "a\ue000b",
    "hangul filler": "\u3164",
    "braille blank": "\u2800\u2800",
    "only spaces": "   ",
    "only ideographic spaces": "\u3000\u3000",
    "only combining marks": "\u0301\u0301",
    "too long": "x" * 81,
}
GOOD_NAMES = ["Ada Lovelace", "Zoë", "李小龙", "محمد", "O'Brien-Smith", "Ana (2)", "x" * 80]


def _register(api: Any, **extra: Any) -> Any:
    return api.post("/api/auth/register", {"username": "ada", "password": PASSWORD, **extra}, format="json")


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_it_refuses_a_bad_display_name_at_registration(api, name) -> None:
    error = _error(_register(api, display_name=name), 400, "invalid")
    assert "display_name" in error["details"]
    assert not User.objects.filter(username="ada").exists()


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_it_refuses_a_bad_display_name_to_a_guest_joining(api, name) -> None:
    session = ClassSessionFactory()
    response = api.post("/api/join", {"code": session.join_code, "display_name": name}, format="json")
    assert "display_name" in _error(response, 400, "invalid")["details"]
    assert not Participant.objects.filter(session=session).exists()


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_it_accepts_names_in_every_script_at_registration_and_join(api, name) -> None:
    response = _register(api, display_name=f"  {name}  "[: len(name) + 4])
    assert response.status_code == 201, response.content
    assert response.json()["user"]["display_name"] == name
    session = ClassSessionFactory()
    joined = api.post("/api/join", {"code": session.join_code, "display_name": name}, format="json")
    assert joined.status_code == 201, joined.content
    assert joined.json()["participant"]["display_name"] == name


def test_it_takes_an_empty_display_name_at_registration_as_none_given(api) -> None:
    response = _register(api, display_name="")
    assert response.status_code == 201, response.content


def _admin_client(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_admin_refuses_a_bad_display_name_for_a_user(admin_user, student) -> None:
    form = {"username": student.username, "display_name": BAD_NAMES["the review's name"], "role": student.role,
            "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    response = _admin_client(admin_user).post(f"/admin/accounts/user/{student.pk}/change/", form)
    assert response.status_code == 200  # the form again, with the error
    assert "invisible characters" in response.content.decode()
    student.refresh_from_db()
    assert "\u202e" not in student.display_name


def test_the_admin_refuses_a_bad_display_name_for_a_participant(admin_user) -> None:
    guest = GuestParticipantFactory()
    form = {"session": str(guest.session_id), "display_name": "Ev\u202eil", "is_guest": "on",
            "last_activity_at_0": "2026-01-01", "last_activity_at_1": "00:00:00",
            "document_set-TOTAL_FORMS": "0", "document_set-INITIAL_FORMS": "0"}
    response = _admin_client(admin_user).post(f"/admin/classroom/participant/{guest.pk}/change/", form)
    assert response.status_code == 200
    assert "invisible characters" in response.content.decode()
    guest.refresh_from_db()
    assert "\u202e" not in guest.display_name


WRONG_TYPES = [123, 1.5, True, ["ada"], {"name": "ada"}]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=[type(v).__name__ for v in WRONG_TYPES])
@pytest.mark.parametrize("field", ["username", "password", "email", "display_name", "invite_code"])
def test_register_takes_only_strings_where_strings_are_expected(api, field, value) -> None:
    body = {"username": "ada", "password": PASSWORD, field: value}
    error = _error(api.post("/api/auth/register", body, format="json"), 400, "invalid")
    assert field in error["details"]
    assert not User.objects.exists()


@pytest.mark.parametrize("value", WRONG_TYPES, ids=[type(v).__name__ for v in WRONG_TYPES])
@pytest.mark.parametrize("field", ["username", "password"])
def test_login_takes_only_strings(api, student, field, value) -> None:
    body = {"username": student.username, "password": PASSWORD, field: value}
    _error(api.post("/api/auth/login", body, format="json"), 400, "invalid")


@pytest.mark.parametrize("path", ["/api/auth/refresh", "/api/auth/logout"])
@pytest.mark.parametrize("value", WRONG_TYPES, ids=[type(v).__name__ for v in WRONG_TYPES])
def test_refresh_and_logout_take_only_a_string_token(api, path, value) -> None:
    _error(api.post(path, {"refresh": value}, format="json"), 400, "invalid")


@pytest.mark.parametrize("value", WRONG_TYPES, ids=[type(v).__name__ for v in WRONG_TYPES])
@pytest.mark.parametrize("field", ["code", "display_name", "guest_key"])
def test_join_takes_only_strings(api, field, value) -> None:
    session = ClassSessionFactory(join_code="123456")
    body = {"code": "123456", "display_name": "Ada", field: value}
    assert field in _error(api.post("/api/join", body, format="json"), 400, "invalid")["details"]
    assert not Participant.objects.filter(session=session).exists()
