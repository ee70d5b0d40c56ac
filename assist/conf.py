"""AI help's settings (observer/settings.py reads them from the environment as ASSIST)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "TIMEOUT_SECONDS": 60.0,  # per request to the provider (connect, and between chunks)
    "MAX_RETRIES": 2,  # 429 and 5xx, with the openai package's exponential backoff
    "MAX_ANSWER_TOKENS": 800,
    "CONTEXT_BYTES": 12_000,  # the student's files sent with a question, together
    "QUESTION_CHARS": 2_000,
    "OUTPUT_TAIL_CHARS": 3_000,  # of the failed run's output
}


def conf(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "ASSIST", {})}[name]
