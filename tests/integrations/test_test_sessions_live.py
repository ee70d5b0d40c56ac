"""A test session against a live Observer (observer.server, a fresh SQLite file, the real sandbox):
completing it posts the key's signed `test_session.completed` webhook from the server's
own loop, without waiting for the sweeper or the timer, and without holding up the
answer to the last submit."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from integrations import webhooks
from tests.integrations.test_judge0_client import Server
from tests.integrations.test_webhooks import Receiver

pytestmark = pytest.mark.sandbox

SETUP = """
from accounts.models import User
from integrations.keys import key_create
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
owner = User.objects.get(username="owner")
exercise = ExerciseFactory(owner=owner, title="Sum")
IoCaseFactory(exercise=exercise, visibility="sample", stdin="2 3\\n", expected_stdout="5\\n")
IoCaseFactory(exercise=exercise, visibility="hidden", stdin="40 2\\n", expected_stdout="42\\n")
issued = key_create(owner=owner, actor=owner, name="interviews", scopes=["test-sessions"], webhook_url={url!r})
print(issued.secret, issued.key.webhook_secret)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # Without the server's periodic delivery (and no timer here), only the try the
    # completing submit starts can deliver the webhook.
    os.environ["PERIODIC_JOBS"] = "false"
    try:
        live = Server()
    finally:
        del os.environ["PERIODIC_JOBS"]
    try:
        yield live
    finally:
        live.stop()


def post(server: Server, path: str, body: dict[str, Any], secret: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{server.url}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": secret})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def test_completing_a_session_posts_the_webhook_from_the_server(server: Server) -> None:
    receiver = Receiver()  # on loopback: the live server allows private callback addresses
    try:
        secret, webhook_secret = server.manage("shell", "-c", SETUP.format(url=receiver.url)).split()[-2:]
        started = post(server, "/api/v1/test-sessions", {"candidate_name": "Ada", "language": "python",
                                                         "difficulty": "easy", "questions": 1}, secret)
        path = f"/api/v1/test-sessions/{started['session_id']}"
        done = post(server, f"{path}/submit", {"code": "a, b = map(int, input().split())\nprint(a + b)\n"}, secret)
        assert (done["status"], done["passed"], done["complete"]) == ("graded", True, True), done
        for _ in range(300):  # the try runs beside the answer: up to 30 s on a loaded machine
            if receiver.requests:
                break
            time.sleep(0.1)
        assert receiver.requests, "the completed webhook never came"
        method, _, headers, body = receiver.requests[0]
        assert method == "POST" and headers["X-Observer-Event"] == "test_session.completed"
        assert webhooks.verify(secret=webhook_secret, timestamp=headers["X-Observer-Timestamp"], body=body,
                               signature=headers["X-Observer-Signature"])  # fmt: skip
        report = json.loads(body)["test_session"]
        assert report["session_id"] == started["session_id"] and report["score"] == report["max_score"] == 2
    finally:
        receiver.close()
