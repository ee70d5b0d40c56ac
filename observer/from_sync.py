"""Calling async code (the channel layer) from sync code, without hanging a stopping server.

Sync code that runs under the server (views, and consumers' `database_sync_to_async`
calls, in asgiref's worker threads) hands its coroutines to the server's event loop.
`async_to_sync` waits for that loop for ever: when the server stops (SIGTERM) while a
worker thread is in such a call, the loop never runs the coroutine, the thread never
returns, and the interpreter waits for it at exit, so the process does not exit until
systemd kills it. Here the wait ends when the loop stops; what was not sent is logged.

With no running server loop (management commands, tests), it is plain `async_to_sync`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync, async_to_sync

logger = logging.getLogger("observer")

T = TypeVar("T")
_POLL_SECONDS = 0.25


class LoopStopped(RuntimeError):
    """The server's event loop stopped before the call ran to its end."""


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop whose asgiref worker thread this is, if any."""
    try:
        asyncio.get_running_loop()
        return None  # on a loop's own thread: async_to_sync says why that cannot work
    except RuntimeError:
        pass
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(local, "main_event_loop", None)
    return loop if isinstance(loop, asyncio.AbstractEventLoop) else None


def call(fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
    """`async_to_sync(fn)(*args, **kwargs)`, except that when the server's loop stops
    while the call waits for it, it raises LoopStopped instead of waiting for ever.

    Only for coroutines that never call back into sync code (they would need this
    very thread, as async_to_sync arranges): channel layer sends are such."""
    loop = _server_loop()
    if loop is None or not loop.is_running():
        # No server, or a thread's note of a loop that is no longer running (asgiref
        # keeps it per thread): async_to_sync then runs `fn` on a loop of its own.
        return async_to_sync(fn)(*args, **kwargs)

    async def run() -> T:
        return await fn(*args, **kwargs)

    future = asyncio.run_coroutine_threadsafe(run(), loop)
    while True:
        try:
            return future.result(_POLL_SECONDS)
        except concurrent.futures.TimeoutError:
            if not loop.is_running():
                future.cancel()
                raise LoopStopped("the server's event loop stopped during the call") from None


def send(fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> bool:
    """`call` for a message that is only worth sending while the server runs: True once
    sent; False (logged) when the server stopped first."""
    try:
        call(fn, *args, **kwargs)
        return True
    except LoopStopped as stopped:
        logger.warning("not sent, the server is stopping: %s", stopped)
        return False
