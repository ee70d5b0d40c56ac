"""The OpenAPI schema documents every sessions endpoint; join codes and file-name rules."""

from __future__ import annotations

import pytest

from coding.languages import get_language
from coding.runner import Limits, prepare_sources
from sessions import filenames, joincodes

SESSIONS_PATHS = {
    "/api/sessions/": {"get", "post"},
    "/api/sessions/current": {"get"},
    "/api/sessions/{session_id}/": {"get", "patch"},
    "/api/sessions/{session_id}/start": {"post"},
    "/api/sessions/{session_id}/end": {"post"},
    "/api/sessions/{session_id}/reopen": {"post"},
    "/api/sessions/{session_id}/participants/": {"get"},
    "/api/sessions/{session_id}/participants/{participant_id}/": {"delete"},
    "/api/sessions/{session_id}/push": {"post"},
    "/api/sessions/{session_id}/help/": {"get"},
    "/api/sessions/{session_id}/analytics": {"get"},
    "/api/sessions/{session_id}/export": {"get"},
    "/api/join": {"post"},
    "/api/participants/{participant_id}/": {"get"},
    "/api/participants/{participant_id}/files/": {"get", "post"},
    "/api/participants/{participant_id}/files/{file_id}/": {"get", "patch", "delete"},
    "/api/participants/{participant_id}/files/download": {"get"},
    "/api/participants/{participant_id}/help": {"post"},
    "/api/help/{help_id}/claim": {"post"},
    "/api/help/{help_id}/resolve": {"post"},
    "/api/help/{help_id}/cancel": {"post"},
}


@pytest.mark.django_db
def test_the_schema_documents_every_sessions_endpoint(api) -> None:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path, methods in SESSIONS_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))
    join = schema["paths"]["/api/join"]["post"]
    assert join["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/JoinInputRequest")
    export = schema["paths"]["/api/sessions/{session_id}/export"]["get"]["responses"]["200"]["content"]
    assert "application/zip" in export
    components = schema["components"]["schemas"]
    assert {"SessionOutput", "ParticipantStatus", "FileOutput", "HelpRequestOutput", "AnalyticsOutput"} <= set(
        components
    )


def test_join_codes_are_six_unambiguous_characters() -> None:
    codes = {joincodes.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(joincodes.is_well_formed(code) for code in codes)
    assert not set("".join(codes)) & set("0O1IL")
    assert joincodes.normalize(" ab3-k7p ") == "AB3K7P"


@pytest.mark.parametrize("name", ["main.py", "Main.java", "notes-v2.txt", "my_file.py", "a+b.cpp", "_x", "a" * 100,
                                  "Makefile"])
def test_it_accepts_ordinary_file_names(name: str) -> None:
    assert filenames.validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("my file.py", "cannot contain spaces: use _ or - instead"),
        ("données.py", "only letters a-z and A-Z, digits, and _ - + . (not 'é')"),
        (".env", "must start with a letter, a digit or _"),
        ("-rf.py", "must start with a letter, a digit or _"),
        ("a*b.py", "(not '*')"),
    ],
)
def test_it_says_what_to_change_in_a_name_the_sandbox_cannot_run(name: str, says: str) -> None:
    assert says in (filenames.name_problem(name) or "")


def test_every_name_the_api_accepts_can_be_run() -> None:
    """The one rule: a name that enters through the API is one the sandbox runs."""
    alphabet = [chr(c) for c in range(0x20, 0x7F)] + ["é", "ß", "日", "\u00a0", "\u2028", "\u0663"]
    candidates = {a + b + c for a in alphabet for b in ("", "x", ".") for c in ("", ".py", "a")}
    accepted = [name for name in candidates if filenames.name_problem(name) is None]
    assert len(accepted) > 100
    for name in accepted:
        prepare_sources([(name, "")], name, get_language("javascript"), Limits())


@pytest.mark.parametrize(
    ("name", "compiled", "expected"),
    [
        ("main.py", (), ["main_from_teacher.py", "main_from_teacher_2.py", "main_from_teacher_3.py"]),
        ("Makefile", (), ["Makefile_from_teacher", "Makefile_from_teacher_2", "Makefile_from_teacher_3"]),
        ("Main.java", (".java",), ["Main_from_teacher.java.txt", "Main_from_teacher_2.java.txt",
                                   "Main_from_teacher_3.java.txt"]),
        ("notes.md", (".java",), ["notes_from_teacher.md", "notes_from_teacher_2.md", "notes_from_teacher_3.md"]),
    ],
)  # fmt: skip
def test_copy_names_are_clear_and_runnable(name: str, compiled: tuple[str, ...], expected: list[str]) -> None:
    names = filenames.copy_names(name, compiled_suffixes=compiled)
    assert [next(names) for _ in range(3)] == expected


def test_copy_names_stay_within_the_length_limit() -> None:
    names = filenames.copy_names("a" * 97 + ".py")
    first, second = next(names), next(names)
    assert len(first) <= 100 and len(second) <= 100 and first != second
    assert first.endswith("_from_teacher.py") and all(filenames.validate_name(n) for n in (first, second))
