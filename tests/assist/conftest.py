"""Fixtures for AI help: the fake provider (tests/assist/fake_openai.py) and a live class
whose teacher configured it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.assist.fake_openai import FakeOpenAI

KEY = "sk-test-SECRET0123456789wxyz"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(expected_key=KEY).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _quick_provider(settings: Any) -> None:
    settings.ASSIST = {**settings.ASSIST, "TIMEOUT_SECONDS": 2.0, "MAX_RETRIES": 2}
