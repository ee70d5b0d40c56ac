"""The Judge0-compatible API with hand-written requests: every endpoint, every field
rule, the statuses, base64, batches, the access matrix; the Judge0 client suite drives it
too (test_judge0_client.py)."""

from __future__ import annotations

import asyncio
import base64
import io
import uuid
import zipfile
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from coding.models import Execution
from integrations.judge0.languages import all_languages
from integrations.models import ApiKey, Submission, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def submit(client: Any, body: dict[str, Any], **query: str) -> Any:
    params = "&".join(f"{k}={v}" for k, v in {"wait": "true", **query}.items())
    return client.post(f"/judge0/submissions?{params}", body, format="json")


def test_the_reference_endpoints(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("read").secret, "X-Auth-Token")
    languages = client.get("/judge0/languages").json()
    assert [lang["id"] for lang in languages] == [50, 54, 62, 63, 71, 74]
    python = client.get("/judge0/languages/71").json()
    assert python["name"].startswith("Python (3.") and python["source_file"] == "main.py"
    assert client.get("/judge0/languages/999").status_code == 404
    assert client.get("/judge0/about").json()["version"] == "1.13.1"
    config = client.get("/judge0/config_info").json()
    assert config["enable_network"] is False and config["max_cpu_time_limit"] > 0
    statuses = client.get("/judge0/statuses").json()
    assert len(statuses) == 14 and statuses[10] == {"id": 11, "description": "Runtime Error (NZEC)"}
    unknown = client.get("/judge0/nothing-here")
    assert unknown.status_code == 404 and unknown.json() == {"error": "Not Found"}
    assert {lang.id for lang in all_languages()} == {71, 63, 74, 50, 54, 62}


@pytest.mark.parametrize(("source", "extra", "status_id"), [
    ('print("hello")', {}, 3),
    ('print("hello")', {"expected_output": "hello\n  "}, 3),
    ('print("hello")', {"expected_output": "bye"}, 4),
    ("FAKE:exit=3", {}, 11),
    ("FAKE:sleep=5", {"wall_time_limit": 0.3}, 5),
    ("FAKE:memory", {}, 12),
    ("FAKE:flood", {}, 8),
])
def test_wait_true_answers_with_the_judge0_status(make_key: Any, key_client: Any, source: str,
                                                  extra: dict[str, Any], status_id: int) -> None:
    client = key_client(make_key("execute").secret)
    answer = submit(client, {"source_code": source, "language_id": 71, **extra})
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert data["status"]["id"] == status_id, data
    assert set(data) == {"token", "stdout", "time", "memory", "stderr", "compile_output", "message", "status"}
    row = Submission.objects.get(pk=data["token"])
    assert row.status == status_id and row.execution_id is not None
    assert Execution.objects.get(pk=row.execution_id).api_key_id == row.api_key_id


def test_a_compile_error_fills_compile_output(make_key: Any, key_client: Any) -> None:
    data = submit(key_client(make_key("execute").secret), {"source_code": "// FAKE:compile-error",
                                                           "language_id": 50}).json()
    assert data["status"] == {"id": 6, "description": "Compilation Error"} and data["compile_output"]


def test_base64_in_and_out_stdin_and_all_fields(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute", "read").secret)
    answer = submit(client, {"source_code": b64('print("hi")'), "language_id": 71, "stdin": b64("typed")},
                    base64_encoded="true", fields="*")
    data = answer.json()
    assert base64.b64decode(data["stdout"]).decode() == "hi\ntyped"
    assert base64.b64decode(data["source_code"]).decode() == 'print("hi")'
    assert data["language"]["id"] == 71 and data["status_id"] == 3 and data["created_at"].endswith("Z")
    plain = client.get(f"/judge0/submissions/{data['token']}?fields=stdout,status").json()
    assert plain == {"stdout": "hi\ntyped", "status": {"id": 3, "description": "Accepted"}}
    assert client.get(f"/judge0/submissions/{data['token']}?fields=nope").status_code == 400


def test_limits_are_clamped_to_the_operators_maxima(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute", "read").secret)
    data = submit(client, {"source_code": "print(1)", "language_id": 71, "cpu_time_limit": 9999,
                           "memory_limit": 10**9, "wall_time_limit": 1.5}, fields="*").json()
    config = client.get("/judge0/config_info").json()
    assert data["cpu_time_limit"] == config["max_cpu_time_limit"]
    assert data["memory_limit"] == config["max_memory_limit"] and data["wall_time_limit"] == 1.5


def test_additional_files_sit_beside_the_source(make_key: Any, key_client: Any) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("helper.py", "X = 1\n")
    body = {"source_code": 'print("main")', "language_id": 71,
            "additional_files": base64.b64encode(archive.getvalue()).decode()}
    assert submit(key_client(make_key("execute").secret), body).json()["status"]["id"] == 3


@pytest.mark.parametrize(("body", "query", "field", "message"), [
    ({"source_code": "x", "language_id": 9999}, {}, "language_id", "language with id 9999 doesn't exist"),
    ({"source_code": "x"}, {}, "language_id", "This field is required."),
    ({"source_code": "!!!not base64", "language_id": 71}, {"base64_encoded": "true"}, "source_code",
     "is not valid Base64"),
    ({"source_code": "x", "language_id": 71, "callback_url": "http://169.254.169.254/latest/meta-data"}, {},
     "callback_url", "non-public address"),
    ({"source_code": "x", "language_id": 71, "callback_url": "http://127.0.0.1:9/"}, {}, "callback_url",
     "non-public address"),
    ({"source_code": "x", "language_id": 71, "callback_url": "file:///etc/passwd"}, {}, "callback_url", "http"),
    ({"source_code": "x", "language_id": 71, "enable_network": True}, {}, "enable_network", "not allowed"),
    ({"source_code": "x", "language_id": 71, "cpu_time_limit": -1}, {}, "cpu_time_limit", "greater than"),
    ({"source_code": "x", "language_id": 71, "compiler_options": "-O3"}, {}, "compiler_options", "not supported"),
    ({"source_code": "x", "language_id": 71, "command_line_arguments": "a 'b"}, {}, "command_line_arguments",
     "No closing quotation"),
    ({"source_code": "x", "language_id": 71, "command_line_arguments": "a " * 65}, {}, "command_line_arguments",
     "too many arguments"),
    ({"source_code": "x", "language_id": 71, "command_line_arguments": "a" * 513}, {}, "command_line_arguments",
     "no more than 512"),
    ({"source_code": "x", "language_id": 71, "colour": "red"}, {}, "colour", "not a Judge0 submission field"),
    ({"source_code": "x" * (1024 * 1024 + 1), "language_id": 71}, {}, "source_code", "too long"),
    ({"source_code": "x", "language_id": 71, "additional_files": b64("not a zip")}, {}, "additional_files",
     "zip"),
])
def test_bad_submissions_get_judge0s_422_and_change_nothing(make_key: Any, key_client: Any, body: dict[str, Any],
                                                            query: dict[str, str], field: str, message: str) -> None:
    client = key_client(make_key("execute").secret)
    answer = submit(client, body, **query)
    assert answer.status_code == 422, answer.content[:300]
    assert list(answer.json()) == [field] and message in answer.json()[field][0]
    assert not Submission.objects.exists() and not Execution.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_a_10_mb_source_is_refused_before_it_is_read(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute").secret)
    answer = submit(client, {"source_code": "x" * (10 * 1024 * 1024), "language_id": 71})
    assert answer.status_code == 413 and "error" in answer.json()
    assert not Submission.objects.exists() and not Execution.objects.exists()


def test_a_body_that_is_not_json_is_a_400(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute").secret)
    answer = client.post("/judge0/submissions", "{not json", content_type="application/json")
    assert answer.status_code == 400 and "error" in answer.json()


@pytest.mark.parametrize(("scopes", "create", "read"), [
    (("execute",), 201, 200), (("read",), 403, 200), (("test-sessions",), 403, 403),
    (("execute", "read", "test-sessions"), 201, 200),
])
def test_the_access_matrix_by_scope(make_key: Any, key_client: Any, scopes: tuple[str, ...], create: int,
                                    read: int) -> None:
    owner_key = make_key("execute")
    token = submit(key_client(owner_key.secret), {"source_code": "print(1)", "language_id": 71}).json()["token"]
    issued = make_key(*scopes, owner=owner_key.key.owner)
    client = key_client(issued.secret)
    assert submit(client, {"source_code": "print(1)", "language_id": 71}).status_code == create
    assert client.get("/judge0/languages").status_code == 200  # any key reads the reference lists
    # Another key's submission is not found, whatever the scopes; its own is readable with read or execute.
    assert client.get(f"/judge0/submissions/{token}").status_code == (404 if read == 200 else 403)
    mine = Submission.objects.filter(api_key=issued.key).first()
    if mine is not None:
        assert client.get(f"/judge0/submissions/{mine.token}").status_code == read
    assert key_client("").get("/judge0/languages").status_code == 401


def test_delete_a_finished_submission(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute").secret)
    token = submit(client, {"source_code": "print(1)", "language_id": 71}).json()["token"]
    deleted = client.delete(f"/judge0/submissions/{token}")
    assert deleted.status_code == 200 and deleted.json()["token"] == token
    assert client.get(f"/judge0/submissions/{token}").status_code == 404
    queued = Submission.objects.create(api_key=ApiKey.objects.first(),
                                       language_id=71, source_code="x")
    refused = client.delete(f"/judge0/submissions/{queued.token}")
    assert refused.status_code == 400 and "In Queue" in refused.json()["error"]
    assert client.delete(f"/judge0/submissions/{uuid.uuid4()}").status_code == 404


def test_the_execution_allowance_counts_runs(make_key: Any, key_client: Any) -> None:
    client = key_client(make_key("execute", executions_rate="2/m").secret)
    for _ in range(2):
        assert submit(client, {"source_code": "print(1)", "language_id": 71}).status_code == 201
    over = submit(client, {"source_code": "print(1)", "language_id": 71})
    assert over.status_code == 429 and "runs per window" in over.json()["error"] and over["Retry-After"]
    assert Submission.objects.count() == 2


async def _poll(client: AsyncClient, secret: str, path: str, done: Any) -> Any:
    for _ in range(600):  # up to 30 s on a loaded machine
        answer = await client.get(path, headers={"X-Auth-Token": secret})
        if done(answer):
            return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never finished: {answer.json()}")


async def test_wait_false_runs_in_the_background_and_is_polled(make_key: Any) -> None:
    issued = await database_sync_to_async(make_key)("execute")
    client = AsyncClient()
    answer = await client.post("/judge0/submissions?base64_encoded=false", {"source_code": 'print("later")',
                                                                            "language_id": 71},
                               content_type="application/json", headers={"X-Auth-Token": issued.secret})
    assert answer.status_code == 201 and list(answer.json()) == ["token"]
    token = answer.json()["token"]
    done = await _poll(client, issued.secret, f"/judge0/submissions/{token}",
                       lambda a: a.json()["status"]["id"] > 2)
    assert done.json()["stdout"] == "later\n" and done.json()["status"]["id"] == 3


async def test_a_batch_runs_each_item_and_reports_bad_ones_in_place(make_key: Any) -> None:
    issued = await database_sync_to_async(make_key)("execute")
    client = AsyncClient()
    body = {"submissions": [{"source_code": 'print("a")', "language_id": 71},
                            {"source_code": "x", "language_id": 12345},
                            {"source_code": "FAKE:exit=1", "language_id": 63}]}
    answer = await client.post("/judge0/submissions/batch", body, content_type="application/json",
                               headers={"X-Auth-Token": issued.secret})
    assert answer.status_code == 201
    items = answer.json()
    assert "token" in items[0] and items[1] == {"language_id": ["language with id 12345 doesn't exist"]}
    tokens = f"{items[0]['token']},{uuid.uuid4()},{items[2]['token']}"
    done = await _poll(client, issued.secret, f"/judge0/submissions/batch?tokens={tokens}",
                       lambda a: all(s is None or s["status"]["id"] > 2 for s in a.json()["submissions"]))
    first, missing, third = done.json()["submissions"]
    assert first["stdout"] == "a\n" and missing is None and third["status"]["id"] == 11


def test_command_line_arguments_are_split_as_a_shell_would_and_never_given_to_one(make_key: Any,
                                                                                 key_client: Any) -> None:
    client = key_client(make_key("execute", "read").secret)
    assert client.get("/judge0/config_info").json()["enable_command_line_arguments"] is True
    text = """one "two words" 'it''s' \\$HOME `id` ;"""
    answer = submit(client, {"source_code": "# FAKE:argv", "language_id": 71, "command_line_arguments": text},
                    fields="stdout,command_line_arguments,status")
    assert answer.status_code == 201, answer.content[:300]
    data = answer.json()
    assert data["status"]["id"] == 3 and data["command_line_arguments"] == text
    argv = [line.removeprefix("argv: ") for line in data["stdout"].splitlines() if line.startswith("argv: ")]
    assert argv[-6:] == ["one", "two words", "its", "$HOME", "`id`", ";"]  # quoted, so never expanded
