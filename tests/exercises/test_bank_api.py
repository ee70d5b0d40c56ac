"""The bank's API as a teacher uses it: build an exercise with its tests, change it,
read it with a safely rendered statement, export it and import it back."""

from __future__ import annotations

from typing import Any

import pytest

from exercises.models import Exercise, TestCase
from exercises.transfer import FORMAT, VERSION
from tests.exercises.conftest import bank_snapshot, refused
from tests.exercises.factories import ExerciseFactory, IoCaseFactory

pytestmark = pytest.mark.django_db

C_SUM = '#include <stdio.h>\nint main(void){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a+b);}\n'

FULL = {
    "title": "Sum of two",
    "statement": "# Sum\n\nRead **two** numbers.<script>alert(1)</script> [x](javascript:alert(1))",
    "languages": ["python", "c"],
    "difficulty": "medium",
    "tags": ["loops", "io", "loops"],
    "visibility": "shared",
    "starter_files": {"python": [{"name": "main.py", "content": "# start\n"}]},
    "solution_files": {
        "python": [{"name": "main.py", "content": "print(sum(map(int, input().split())))\n"}],
        "c": [{"name": "main.c", "content": C_SUM}],
    },
    "tests": [
        {"name": "small", "kind": "io", "stdin": "1 2\n", "expected_stdout": "3\n"},
        {"name": "approx", "kind": "io", "visibility": "hidden", "stdin": "1 1\n", "expected_stdout": "2.0",
         "comparison": "numeric", "tolerance": 0.01, "weight": 3, "time_limit_ms": 1500},
        {"name": "pattern", "kind": "io", "visibility": "hidden", "stdin": "5 5\n", "expected_stdout": "1\\d",
         "comparison": "regex"},
        {"name": "unit", "kind": "unit", "visibility": "hidden",
         "unit_files": {"python": {"name": "test_sum.py", "content": "def test_it():\n    assert 1 + 1 == 2\n"}}},
    ],
}  # fmt: skip


def test_it_creates_an_exercise_with_its_tests_and_reads_it_back(teacher: Any, client_for: Any) -> None:
    client = client_for(teacher)
    response = client.post("/api/exercises/", FULL, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == str(teacher.pk)
    assert body["tags"] == ["loops", "io"]
    assert body["tests_count"] == 4 and [t["name"] for t in body["tests"]] == ["small", "approx", "pattern", "unit"]
    assert [t["order"] for t in body["tests"]] == [0, 1, 2, 3]
    assert body["tests"][1]["tolerance"] == 0.01 and body["tests"][1]["weight"] == 3
    assert body["solution_passes"] is False and body["solution_check"] == {}
    html = body["statement_html"]
    assert "<h1>Sum</h1>" in html and "<strong>two</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html
    assert client.get(f"/api/exercises/{body['id']}/").json() == body


def test_it_adds_changes_and_deletes_tests_and_forgets_the_solution_check(client_for: Any) -> None:
    exercise = ExerciseFactory(solution_check={"python": {"passed": True}})
    client = client_for(exercise.owner)
    base = f"/api/exercises/{exercise.pk}/tests/"
    first = client.post(base, {"kind": "io", "stdin": "1 2\n", "expected_stdout": "3\n"}, format="json").json()
    second = client.post(base, {"kind": "io", "stdin": "2 2\n", "expected_stdout": "4\n"}, format="json").json()
    assert (first["order"], second["order"]) == (0, 1)
    assert Exercise.objects.get(pk=exercise.pk).solution_check == {}

    Exercise.objects.filter(pk=exercise.pk).update(solution_check={"python": {"passed": True}})
    changed = client.patch(f"{base}{first['id']}/", {"comparison": "exact", "visibility": "hidden"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["comparison"], changed.json()["visibility"], changed.json()["stdin"]) == (
        "exact",
        "hidden",
        "1 2\n",
    )
    assert Exercise.objects.get(pk=exercise.pk).solution_check == {}

    assert client.delete(f"{base}{second['id']}/").status_code == 204
    assert [t["id"] for t in client.get(base).json()] == [first["id"]]


def test_it_changes_an_exercise_and_keeps_what_was_not_sent(client_for: Any) -> None:
    exercise = ExerciseFactory(tags=["a"], solution_check={"python": {"passed": True}})
    client = client_for(exercise.owner)
    response = client.patch(f"/api/exercises/{exercise.pk}/", {"title": "New", "difficulty": "hard"}, format="json")
    assert response.status_code == 200
    exercise.refresh_from_db()
    assert (exercise.title, exercise.difficulty, exercise.tags) == ("New", "hard", ["a"])
    assert exercise.solution_check == {"python": {"passed": True}}  # the title does not change what was checked
    client.patch(
        f"/api/exercises/{exercise.pk}/",
        {"solution_files": {"python": [{"name": "main.py", "content": "1"}]}},
        format="json",
    )
    exercise.refresh_from_db()
    assert exercise.solution_check == {}


def test_an_unknown_exercise_or_test_is_a_404(teacher: Any, client_for: Any) -> None:
    exercise = ExerciseFactory(owner=teacher)
    other = IoCaseFactory()
    client = client_for(teacher)
    refused(client.get("/api/exercises/00000000-0000-0000-0000-000000000000/"), 404, "not_found")
    refused(client.get(f"/api/exercises/{exercise.pk}/tests/{other.pk}/"), 404, "not_found")


def test_it_round_trips_an_exercise_through_export_and_import(teacher: Any, client_for: Any) -> None:
    client = client_for(teacher)
    created = client.post("/api/exercises/", FULL, format="json").json()
    exported = client.get(f"/api/exercises/{created['id']}/export")
    assert exported.status_code == 200
    assert "attachment" in exported["Content-Disposition"]
    document = exported.json()
    assert (document["format"], document["version"]) == (FORMAT, VERSION)

    other_teacher_client = client_for(ExerciseFactory().owner)
    imported = other_teacher_client.post("/api/exercises/import", document, format="json")
    assert imported.status_code == 201, imported.content
    [summary] = imported.json()
    assert summary["id"] != created["id"]
    copy = other_teacher_client.get(f"/api/exercises/{summary['id']}/").json()
    ignore = {"id", "owner", "created_at", "updated_at"}
    assert {k: v for k, v in copy.items() if k not in ignore and k != "tests"} == {
        k: v for k, v in created.items() if k not in ignore and k != "tests"
    }
    assert [{k: v for k, v in t.items() if k != "id"} for t in copy["tests"]] == [
        {k: v for k, v in t.items() if k != "id"} for t in created["tests"]
    ]
    # And the copy exports to the same document.
    assert other_teacher_client.get(f"/api/exercises/{summary['id']}/export").json() == document


def test_it_exports_the_caller_s_own_exercises_in_one_document(teacher: Any, client_for: Any) -> None:
    mine = [ExerciseFactory(owner=teacher) for _ in range(2)]
    IoCaseFactory(exercise=mine[0])
    ExerciseFactory(visibility="shared")
    document = client_for(teacher).get("/api/exercises/export").json()
    assert [e["title"] for e in document["exercises"]] == [e.title for e in mine]
    assert len(document["exercises"][0]["tests"]) == 1


BAD_DOCUMENTS: dict[str, Any] = {
    "not an object": [1, 2],
    "another format": {"format": "moodle-xml", "version": 1, "exercises": [FULL]},
    "a future version": {"format": FORMAT, "version": 2, "exercises": [FULL]},
    "no exercises": {"format": FORMAT, "version": 1, "exercises": []},
    "one bad exercise among good ones": {
        "format": FORMAT,
        "version": 1,
        "exercises": [
            FULL,
            {
                **FULL,
                "tests": [
                    {"kind": "io", "stdin": "1\n", "expected_stdout": "1", "comparison": "regex", "tolerance": None},
                    {"kind": "io", "stdin": "x"},
                ],
            },
        ],
    },  # fmt: skip
}


@pytest.mark.parametrize("case", list(BAD_DOCUMENTS))
def test_it_refuses_a_bad_import_whole(teacher: Any, client_for: Any, case: str) -> None:
    before = bank_snapshot()
    refused(client_for(teacher).post("/api/exercises/import", BAD_DOCUMENTS[case], format="json"), 400, "invalid")
    assert bank_snapshot() == before
    assert not TestCase.objects.exists()


def test_the_list_costs_the_same_queries_for_a_few_exercises_or_many(teacher: Any, client_for: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(teacher)

    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/exercises/").status_code == 200
        return len(queries)

    for _ in range(2):
        IoCaseFactory(exercise=ExerciseFactory(owner=teacher))
    few = queries_for_the_list()
    for _ in range(8):
        IoCaseFactory(exercise=ExerciseFactory(visibility="shared"))
    assert queries_for_the_list() == few
