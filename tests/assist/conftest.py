"""Fixtures for AI help: the fake provider (tests/assist/fake_openai.py), and a check that
runs around every test of this suite: the provider's key is in no log line (at DEBUG, the
openai and HTTP libraries' included), no frame any socket sent and no API answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from observer.wsbase import ObserverConsumer
from tests.assist.fake_openai import FakeOpenAI

KEY = "sk-test-SECRET0123456789wxyz"
KEY_BODY = KEY[8:-4]  # what no masked form shows


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(expected_key=KEY).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _quick_provider(settings: Any) -> None:
    settings.ASSIST = {**settings.ASSIST, "TIMEOUT_SECONDS": 2.0, "MAX_RETRIES": 2}


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture(autouse=True)
def _the_key_never_shows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    seen: list[str] = []
    handler = _Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    push, request = ObserverConsumer.push, APIClient.request

    def watched_push(self: ObserverConsumer, data: bytes | str) -> None:
        seen.append(data if isinstance(data, str) else data.decode("utf-8", "replace"))
        push(self, data)

    def watched_request(self: APIClient, **kwargs: Any) -> Any:
        response = request(self, **kwargs)
        if not getattr(response, "streaming", False):
            seen.append(response.content.decode("utf-8", "replace"))
        return response

    monkeypatch.setattr(ObserverConsumer, "push", watched_push)
    monkeypatch.setattr(APIClient, "request", watched_request)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    leaks = [text[:200] for text in seen + handler.lines if KEY in text or KEY_BODY in text]
    assert not leaks, f"the provider's key leaked: {leaks}"
