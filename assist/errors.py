"""AI help's refusals: one exception with the code the API and the socket answer with."""

from __future__ import annotations


class AssistRefused(Exception):
    def __init__(self, code: str, message: str, *, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after
