"""Talking to an OpenAI-compatible chat-completions endpoint (OpenAI, Azure-style
gateways, Ollama, llama.cpp, vLLM) through the `openai` package with the provider's
base URL. The package retries 429 and 5xx answers with exponential backoff (honouring
Retry-After) before a stream starts; its errors become `ProviderFailed` with a message
a teacher can act on and never the key or the provider's own text (which may echo it).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletionMessageParam

from assist.conf import conf

logger = logging.getLogger("assist.providers")


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    organization: str
    api_key: str = field(repr=False)  # never in a repr, a log line or a traceback's locals printout


class ProviderFailed(Exception):
    """The provider could not answer: `code` for the UI and the log, `message` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


# The connection test answers a person waiting on a button (and an HTTP request nginx
# gives 60 s): one try, a short timeout.
CHECK_TIMEOUT_SECONDS = 15.0


def _client(endpoint: Endpoint, *, checking: bool = False) -> openai.AsyncOpenAI:
    timeout = float(conf("TIMEOUT_SECONDS"))
    return openai.AsyncOpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        organization=endpoint.organization or None,
        timeout=min(timeout, CHECK_TIMEOUT_SECONDS) if checking else timeout,
        max_retries=0 if checking else int(conf("MAX_RETRIES")),
    )


def _failure(exc: Exception, endpoint: Endpoint) -> ProviderFailed:
    host = urlsplit(endpoint.base_url).netloc or endpoint.base_url
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ProviderFailed("key_refused", f"The provider at {host} refused the API key ({exc.status_code}).")
    if isinstance(exc, openai.NotFoundError):
        return ProviderFailed("model_not_found", f"The provider at {host} does not know the model {endpoint.model!r}.")
    if isinstance(exc, openai.RateLimitError):
        return ProviderFailed("provider_busy", f"The provider at {host} is rate limiting us (429); try again shortly.")
    if isinstance(exc, openai.APITimeoutError):
        return ProviderFailed("provider_timeout", f"The provider at {host} did not answer in time.")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderFailed("provider_down", f"Cannot reach the provider at {host}.")
    if isinstance(exc, openai.APIStatusError):
        return ProviderFailed("provider_error", f"The provider at {host} answered with an error ({exc.status_code}).")
    return ProviderFailed("provider_bad_answer", f"The provider at {host} sent an answer that cannot be read.")


async def stream_chat(
    endpoint: Endpoint, *, messages: list[dict[str, str]], max_tokens: int, usage: Usage
) -> AsyncIterator[str]:
    """The answer's text as it is generated; `usage` is filled in when the provider
    reports it (with `stream_options.include_usage`, which not every server honours)."""
    client = _client(endpoint)
    try:
        stream = await client.chat.completions.create(
            model=endpoint.model,
            messages=cast("list[ChatCompletionMessageParam]", messages),
            max_tokens=max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            if chunk.usage is not None:
                usage.prompt_tokens = chunk.usage.prompt_tokens
                usage.completion_tokens = chunk.usage.completion_tokens
            for choice in chunk.choices or []:
                if choice.delta and choice.delta.content:
                    yield choice.delta.content
    except openai.OpenAIError as exc:
        raise _failure(exc, endpoint) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a chunk that is not JSON or not a chunk
        logger.warning("assist: unreadable chunk from %s: %s", urlsplit(endpoint.base_url).netloc, type(exc).__name__)
        raise _failure(exc, endpoint) from None
    finally:
        await client.close()


async def check_connection(endpoint: Endpoint) -> str:
    """Ask for one token: proves the URL, the key and the model at once. Returns the model
    the provider says answered."""
    client = _client(endpoint, checking=True)
    try:
        answer = await client.chat.completions.create(
            model=endpoint.model, messages=[{"role": "user", "content": "Say OK."}], max_tokens=1
        )
        return str(answer.model or endpoint.model)
    except openai.OpenAIError as exc:
        raise _failure(exc, endpoint) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _failure(exc, endpoint) from None
    finally:
        await client.close()
