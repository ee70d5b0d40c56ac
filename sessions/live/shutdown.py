"""Writing what is pending when the server process stops.

Daphne (what production runs) has no ASGI lifespan. It runs Twisted's asyncio reactor,
and on SIGTERM or SIGINT Twisted fires its "before shutdown" triggers and waits for
the Deferreds they return before the reactor (and the event loop) stops. The first
live registry started on that loop registers one trigger, which closes every registry
of the process (the final flush of each document's log and snapshot, the activity
counters) and takes the process's connections off presence.

Elsewhere (tests, a server with a lifespan of its own), nothing is registered; whoever
owns a registry closes it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
import weakref
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async

if TYPE_CHECKING:
    from sessions.live.registry import LiveRegistry

logger = logging.getLogger("observer.live")

_registries: weakref.WeakSet[LiveRegistry] = weakref.WeakSet()
_installed_on: Any = None  # the reactor the trigger is registered with


def on_shutdown(registry: LiveRegistry) -> None:
    """Close `registry` when the server process shuts down (under Daphne)."""
    global _installed_on
    _registries.add(registry)
    reactor = _reactor_of_this_loop()
    if reactor is None or reactor is _installed_on:
        return
    reactor.addSystemEventTrigger("before", "shutdown", _before_shutdown)
    _installed_on = reactor


def _reactor_of_this_loop() -> Any:
    module = sys.modules.get("twisted.internet.reactor")
    if module is None:
        return None
    from twisted.internet.asyncioreactor import AsyncioSelectorReactor

    # Importing daphne installs its reactor on a loop of its own: only when that very
    # loop runs us is this process a Daphne server.
    if not isinstance(module, AsyncioSelectorReactor) or module._asyncioEventloop is not asyncio.get_running_loop():
        return None
    return module


def _before_shutdown() -> Any:
    from twisted.internet import defer

    # A fresh context: Twisted fires this trigger in whatever context its SIGTERM
    # handler interrupted, and when that was a consumer inside sync_to_async, asgiref's
    # guard ("would deadlock") would refuse every database write of the flush.
    task = asyncio.get_running_loop().create_task(_shutdown(), context=contextvars.Context())
    deferred = defer.Deferred.fromFuture(task)
    deferred.addErrback(lambda failure: logger.error("live shutdown failed: %s", failure.getTraceback()))
    return deferred


async def _shutdown() -> None:
    await close_all()
    if _installed_on is not None:  # Daphne's loop is about to stop
        await _end_remaining_tasks()


async def close_all() -> None:
    """Close every registry of this process and take its connections off presence."""
    from sessions.live import presence

    registries = [r for r in list(_registries) if not r._closed]
    logger.info("live: writing %d registries before shutdown", len(registries))
    results = await asyncio.gather(*(r.close() for r in registries), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            logger.error("live registry failed to close", exc_info=result)
    try:
        await database_sync_to_async(presence.process_stopped)()
    except Exception:
        logger.exception("could not take this process's connections off presence")


async def _end_remaining_tasks() -> None:
    """What asyncio.run does when its main coroutine returns, and Daphne's reactor does
    not: cancel the tasks still pending (the consumers of sockets still open, their
    readers and writers) and let them finish. Otherwise the loop stops under them, and
    the interpreter, finalising their coroutines after its modules are gone, logs "Task
    was destroyed but it is pending" or crashes (SIGSEGV, seen with a socket open)."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
