"""assist.providers against the local fake: streaming, usage, retries on 429, and a clear
error (never the key, never the provider's own text) for each way a provider fails."""

from __future__ import annotations

from typing import Any

import pytest

from assist.providers import Endpoint, ProviderFailed, Usage, check_connection, stream_chat
from tests.assist.conftest import KEY
from tests.assist.fake_openai import ANSWER, FakeOpenAI

MESSAGES = [{"role": "user", "content": "why?"}]


def endpoint(fake: FakeOpenAI, model: str = "tutor", key: str = KEY) -> Endpoint:
    return Endpoint(fake.base_url, model, "org-class", key)


async def collect(point: Endpoint, usage: Usage | None = None) -> str:
    return "".join([piece async for piece in stream_chat(point, messages=MESSAGES, max_tokens=50,
                                                          usage=usage or Usage())])  # fmt: skip


async def test_it_streams_the_answer_and_its_usage(fake: FakeOpenAI) -> None:
    usage = Usage()
    assert await collect(endpoint(fake), usage) == "".join(ANSWER)
    assert (usage.prompt_tokens, usage.completion_tokens) == (120, 17)
    sent = fake.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    assert sent["headers"]["openai-organization"] == "org-class"
    assert sent["body"]["stream"] is True and sent["body"]["model"] == "tutor"


async def test_429_is_retried_with_backoff(fake: FakeOpenAI) -> None:
    assert await collect(endpoint(fake, "busy-2")) == "".join(ANSWER)
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("model", "code"),
    [("busy-9", "provider_busy"), ("broken", "provider_error"), ("missing", "model_not_found"),
     ("garbled", "provider_bad_answer"), ("sleepy", "provider_timeout")],
)  # fmt: skip
async def test_each_failure_has_a_clear_error(fake: FakeOpenAI, settings: Any, model: str, code: str) -> None:
    settings.ASSIST = {**settings.ASSIST, "TIMEOUT_SECONDS": 0.5, "MAX_RETRIES": 1}
    with pytest.raises(ProviderFailed) as failed:
        await collect(endpoint(fake, model))
    assert failed.value.code == code
    assert "127.0.0.1" in failed.value.message


async def test_a_refused_key_is_named_but_never_shown(fake: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    wrong = "sk-wrong-KEYKEYKEYKEY9876"
    with pytest.raises(ProviderFailed) as failed:
        await collect(endpoint(fake, key=wrong))
    assert failed.value.code == "key_refused"
    assert "refused the API key" in failed.value.message
    assert wrong not in str(failed.value) and "9876" not in failed.value.message
    assert wrong not in caplog.text and KEY not in caplog.text


async def test_a_provider_that_is_down(settings: Any) -> None:
    settings.ASSIST = {**settings.ASSIST, "MAX_RETRIES": 0}
    with pytest.raises(ProviderFailed) as failed:
        await collect(Endpoint("http://127.0.0.1:9/v1", "tutor", "", KEY))
    assert failed.value.code == "provider_down"


async def test_the_connection_check_asks_for_one_token(fake: FakeOpenAI) -> None:
    assert await check_connection(endpoint(fake)) == "tutor"
    assert fake.requests[-1]["body"]["max_tokens"] == 1
    with pytest.raises(ProviderFailed):
        await check_connection(endpoint(fake, key="sk-nope-0000000000"))


def test_an_endpoint_never_shows_its_key() -> None:
    assert KEY not in repr(Endpoint("http://x/v1", "m", "", KEY))


async def test_the_connection_check_tries_once(fake: FakeOpenAI) -> None:
    with pytest.raises(ProviderFailed) as failed:
        await check_connection(endpoint(fake, "busy-1"))
    assert failed.value.code == "provider_busy" and len(fake.requests) == 1
