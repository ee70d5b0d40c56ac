"""Telling open operator dashboards that the figures changed, from any thread or process.

Signal receivers run wherever the sender runs: on the event loop (consumers) or in a
sync thread (views). Work that blocks (the ORM, the cache) or that is async (the
channel layer) is handed to the right place here, never run on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from observer import from_sync
from observer.contract import FiguresChanged

logger = logging.getLogger("observer.monitoring")

DASHBOARD_GROUP = "monitoring.dashboard"
# Tasks started from signal receivers, kept referenced until they finish.
_tasks: set[asyncio.Task[Any]] = set()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _spawn(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, Any]) -> None:
    task = loop.create_task(coroutine)
    _tasks.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("monitoring task failed", exc_info=task.exception())


def off_loop(fn: Callable[..., Any], /, **kwargs: Any) -> None:
    """Call a blocking function now (sync caller) or soon in the ORM thread (event loop caller)."""
    loop = _running_loop()
    if loop is None:
        fn(**kwargs)
    else:
        _spawn(loop, database_sync_to_async(fn)(**kwargs))


async def _group_send(message: FiguresChanged) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(DASHBOARD_GROUP, message)
    except Exception:  # a dashboard refresh must never break a run
        logger.warning("could not notify the operator dashboards", exc_info=True)


def notify_dashboards(reason: str) -> None:
    """Ask every dashboard (every process) to push fresh figures; after commit when in a transaction."""
    message = FiguresChanged(type="figures.changed", at=time.time(), reason=reason)
    loop = _running_loop()
    if loop is not None:
        _spawn(loop, _group_send(message))
    else:
        transaction.on_commit(lambda: from_sync.send(_group_send, message))
