"""Runs that outlive the request that asked for them, on the server's event loop.

The API's views are DRF's (sync: Django runs them in a thread per request under ASGI).
From that thread, asgiref's async_to_sync reaches the server's own loop, where the task
is made: it keeps going after the answer is sent, beside every other run of the
process. It starts in an empty context: the request's thread (which a thread-sensitive
call inside would otherwise go back to) is gone by the time the task ends.
Under a plain WSGI server there is no such loop; Observer is served by uvicorn (ASGI, observer.server).

`run` needs the view's thread to be its request's own: Django's ASGIHandler gives each
request one (ThreadSensitiveContext). Django's test AsyncClient does not: its sync views
run in the process's one database thread, which `run` would then block while the run
waits for that same thread; so the tests drive wait=true with the sync client or a live
server.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from asgiref.sync import async_to_sync

logger = logging.getLogger("observer.integrations")

T = TypeVar("T")
_tasks: set[asyncio.Task[object]] = set()


async def _start(make: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
    async def run() -> T:
        return await make()

    task: asyncio.Task[T] = asyncio.get_running_loop().create_task(run(), context=contextvars.Context())
    _tasks.add(task)  # type: ignore[arg-type]
    task.add_done_callback(_tasks.discard)  # type: ignore[arg-type]
    return task


async def _wait(task: asyncio.Task[T]) -> T:
    return await asyncio.shield(task)


def start(make: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
    """From a sync view: start `make()` on the server's loop and return at once."""
    return async_to_sync(_start)(make)


def run(make: Callable[[], Awaitable[T]]) -> T:
    """From a sync view: start `make()` on the server's loop and wait for it (the run goes
    on, and is recorded, if the client leaves meanwhile)."""

    async def start_and_wait() -> T:
        return await _wait(await _start(make))

    return async_to_sync(start_and_wait)()


def pending() -> int:
    return len(_tasks)
