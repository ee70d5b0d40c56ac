"""Observer's own execution API: several files, an entry, stdin and limits within the
operator's maxima; the result at once or an id to poll; each run an Execution of the key."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from coding.models import Execution

pytestmark = pytest.mark.django_db(transaction=True)

FILES = [{"name": "main.py", "content": 'import util\nprint("main")\n'}, {"name": "util.py", "content": "X = 1\n"}]


def test_it_runs_several_files_and_answers_the_result(make_key: Any, key_client: Any) -> None:
    issued = make_key("execute")
    answer = key_client(issued.secret, "Bearer").post(
        "/api/v1/executions", {"language": "python", "files": FILES, "stdin": "in", "limits": {"wall_seconds": 2}},
        format="json")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["status"], data["stdout"], data["exit_code"]) == ("ok", "main\nin", 0)
    assert answer["X-RateLimit-Remaining"] == "199"
    row = Execution.objects.get(pk=data["id"])
    assert row.api_key_id == issued.key.pk and row.interactive is False
    again = key_client(issued.secret).get(f"/api/v1/executions/{data['id']}")
    assert again.status_code == 200 and again.json()["stdout"] == "main\nin"


@pytest.mark.parametrize(("body", "field"), [
    ({"language": "cobol", "files": FILES}, "language"),
    ({"language": "python", "files": []}, "files"),
    ({"language": "python", "files": [{"name": "../etc/passwd", "content": "x"}]}, "files"),
    ({"language": "python", "files": FILES, "entry": "missing.py"}, "files"),
    ({"language": "python", "files": FILES, "limits": {"wall_seconds": 10**6}}, "limits"),
    ({"language": "python", "files": FILES, "limits": {"network": True}}, None),
    ({"language": "python", "files": FILES, "args": "one two"}, "args"),  # a list, never a shell string
    ({"language": "python", "files": FILES, "args": [1, 2]}, "args"),
    ({"language": "python", "files": FILES, "args": ["x"] * 65}, "args"),
    ({"language": "python", "files": FILES, "args": ["x" * 4097]}, "args"),
    ({"language": "python", "files": FILES, "args": ["y" * 4000] * 5}, "args"),
    ({"language": "python", "files": FILES, "args": ["nul\u0000"]}, "args"),
])
def test_bad_requests_are_400_and_run_nothing(make_key: Any, key_client: Any, body: dict[str, Any],
                                              field: str | None) -> None:
    answer = key_client(make_key("execute").secret).post("/api/v1/executions", body, format="json")
    if field is None:  # an unknown limit is ignored by the serializer: the run happens within the maxima
        assert answer.status_code == 200
        return
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    assert field in answer.json()["error"]["details"]
    assert not Execution.objects.exists()


def test_scopes_and_ownership(make_key: Any, key_client: Any) -> None:
    runner, reader, stranger = make_key("execute"), make_key("read"), make_key("test-sessions")
    run_id = key_client(runner.secret).post("/api/v1/executions", {"language": "python", "files": FILES},
                                            format="json").json()["id"]
    assert key_client(reader.secret).post("/api/v1/executions", {"language": "python", "files": FILES},
                                          format="json").status_code == 403
    assert key_client(reader.secret).get(f"/api/v1/executions/{run_id}").status_code == 404  # another key's
    assert key_client(stranger.secret).get(f"/api/v1/executions/{run_id}").status_code == 403
    assert key_client("obs_nope_nope").get(f"/api/v1/executions/{run_id}").status_code == 401


async def test_async_true_answers_an_id_to_poll(make_key: Any) -> None:
    issued = await database_sync_to_async(make_key)("execute")
    client, auth = AsyncClient(), {"X-API-Key": issued.secret}
    accepted = await client.post("/api/v1/executions?async=true", {"language": "javascript", "files": [
        {"name": "main.js", "content": 'console.log("later")'}]}, content_type="application/json", headers=auth)
    assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
    path = f"/api/v1/executions/{accepted.json()['id']}"
    for _ in range(600):  # up to 30 s on a loaded machine
        answer = await client.get(path, headers=auth)
        if answer.status_code == 200:
            break
        assert answer.status_code == 202
        await asyncio.sleep(0.05)
    assert answer.json()["status"] == "ok" and answer.json()["stdout"] == "later\n"
    row = await database_sync_to_async(Execution.objects.get)(api_key=issued.key)
    assert str(row.pk) == answer.json()["id"]


def test_the_whole_output_is_read_back_by_id_not_only_the_rows_tail(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute").secret)
    run = client.post("/api/v1/executions", {"language": "python", "files": FILES, "stdin": "x" * 6000},
                      format="json").json()
    assert len(run["stdout"]) == len("main\n") + 6000
    assert len(Execution.objects.get(pk=run["id"]).output_tail) == 4000
    assert client.get(f"/api/v1/executions/{run['id']}").json()["stdout"] == run["stdout"]


def test_it_passes_the_arguments_as_argv_entries(make_key: Any, key_client: Any) -> None:
    args = ["two words", "", "$HOME", "; rm -rf /"]
    answer = key_client(make_key("execute").secret).post(
        "/api/v1/executions", {"language": "python", "files": [{"name": "main.py", "content": "# FAKE:argv\n"}],
                               "args": args}, format="json")
    assert answer.status_code == 200, answer.json()
    lines = answer.json()["stdout"].splitlines()
    assert lines[-5:] == ["argv: main.py", *(f"argv: {arg}" for arg in args)]
