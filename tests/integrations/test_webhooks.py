"""Callbacks: refused for addresses inside the network, signed, delivered by PUT with
no redirect followed, retried with backoff, given up after a day."""

from __future__ import annotations

import asyncio
import datetime
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from integrations import webhooks
from integrations.models import Submission, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1/", "http://[::1]/", "http://10.1.2.3/",
    "http://192.168.0.1/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
    "http://localhost/", "ftp://example.com/", "http://user:pw@example.com/", "http:///nohost",
])
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(webhooks.UnsafeUrl):
        webhooks.check_url(url)


def test_a_public_address_passes() -> None:
    assert webhooks.check_url("https://93.184.215.14/hook").address == "93.184.215.14"


def test_the_signature_and_its_replay_window() -> None:
    body = b'{"token": "x"}'
    signature = webhooks.sign(secret="s3cret", timestamp=1_700_000_000, body=body)
    assert webhooks.verify(secret="s3cret", timestamp="1700000000", body=body, signature=signature,
                           now=1_700_000_100)
    assert not webhooks.verify(secret="s3cret", timestamp="1700000000", body=body, signature=signature,
                               now=1_700_001_000)  # replayed late
    assert not webhooks.verify(secret="other", timestamp="1700000000", body=body, signature=signature,
                               now=1_700_000_100)
    assert not webhooks.verify(secret="s3cret", timestamp="1700000000", body=body + b" ", signature=signature,
                               now=1_700_000_100)


class Receiver:
    def __init__(self, status: int = 200, location: str = "") -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append((self.command, self.path, dict(self.headers), body))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

            do_PUT = do_GET = do_POST = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback: the operator allows it for the test
    server = Receiver()
    yield server
    server.close()


def test_a_finished_submission_is_put_to_its_callback_signed(make_key: Any, key_client: Any,
                                                            receiver: Receiver) -> None:
    issued = make_key("execute")
    answer = key_client(issued.secret).post("/judge0/submissions?wait=true", {
        "source_code": 'print("cb")', "language_id": 71, "callback_url": receiver.url}, format="json")
    token = answer.json()["token"]
    assert len(receiver.requests) == 1
    method, path, headers, body = receiver.requests[0]
    assert (method, path) == ("PUT", "/hook")
    assert json.loads(body)["token"] == token and json.loads(body)["status"]["id"] == 3
    assert webhooks.verify(secret=issued.key.webhook_secret, timestamp=headers["X-Observer-Timestamp"], body=body,
                           signature=headers["X-Observer-Signature"])
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)


def test_a_redirect_is_not_followed_and_failures_back_off_then_give_up(make_key: Any, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    redirecting = Receiver(status=302, location="http://169.254.169.254/")
    try:
        issued = make_key("execute")
        delivery = webhooks.enqueue(event="judge0.submission", url=redirecting.url, body="{}", api_key=issued.key)
        tried = webhooks.deliver(delivery.pk)
        assert tried is not None and tried.state == "pending" and tried.last_status == 302
        assert len(redirecting.requests) == 1  # and nothing went to the Location
        assert tried.next_attempt_at > timezone.now() + datetime.timedelta(seconds=5)
        assert webhooks.deliver(delivery.pk) is None  # not due yet
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now(), created_at=timezone.now() - datetime.timedelta(days=1, seconds=1))
        given_up = webhooks.deliver(delivery.pk)
        assert given_up is not None and given_up.state == "failed" and given_up.attempts == 2
    finally:
        redirecting.close()
    assert [webhooks.backoff_seconds(n) for n in (1, 2, 3, 20)] == [10, 20, 40, 3600]


def test_a_url_that_turned_unsafe_fails_without_a_request(make_key: Any) -> None:
    issued = make_key("execute")
    delivery = webhooks.enqueue(event="judge0.submission", url="http://127.0.0.1:9/x", body="{}", api_key=issued.key)
    tried = webhooks.deliver(delivery.pk)
    assert tried is not None and tried.state == "failed" and "unsafe URL" in tried.last_error


def test_the_periodic_task_delivers_what_is_due(make_key: Any, receiver: Receiver) -> None:
    issued = make_key("execute")
    for _ in range(2):
        webhooks.enqueue(event="judge0.submission", url=receiver.url, body="{}", api_key=issued.key)
    from django.core.management import call_command

    call_command("deliver_webhooks")
    assert len(receiver.requests) == 2 and not WebhookDelivery.objects.exclude(state="delivered").exists()
    assert not Submission.objects.exists()


async def test_a_failed_callback_is_retried_by_the_servers_sweeper(make_key: Any, settings: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from channels.db import database_sync_to_async
    from django.test import AsyncClient

    settings.WEBHOOK_ALLOW_PRIVATE = True
    monkeypatch.setattr(webhooks, "SWEEP_SECONDS", 0.1)
    monkeypatch.setattr(webhooks, "_sweeper", None)  # none left from another test's loop
    monkeypatch.setattr(webhooks, "backoff_seconds", lambda attempts: 0)
    answers = iter([500, 200])
    received: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            code = next(answers)
            received.append(code)
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        issued = await database_sync_to_async(make_key)("execute")
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        answer = await AsyncClient().post("/judge0/submissions", {
            "source_code": "print(1)", "language_id": 71, "callback_url": url}, content_type="application/json",
            headers={"X-Auth-Token": issued.secret})
        assert answer.status_code == 201
        for _ in range(600):  # up to 30 s on a loaded machine
            delivery = await database_sync_to_async(WebhookDelivery.objects.filter(state="delivered").first)()
            if delivery is not None:
                break
            await asyncio.sleep(0.05)
        assert delivery is not None and (delivery.attempts, received) == (2, [500, 200])
        assert webhooks._sweeper is not None
        await asyncio.wait_for(webhooks._sweeper, 30)  # it ends once nothing is pending
    finally:
        server.shutdown()
        server.server_close()
