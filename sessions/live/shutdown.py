"""Writing what is pending when the server process stops.

The server (observer.server, uvicorn) runs the ASGI lifespan: on SIGTERM or SIGINT it
stops listening, closes every socket and waits for their consumers, then sends
`lifespan.shutdown`, on which observer.server.ServerEdge runs `close_all` (registered
as a shutdown hook in sessions.apps): every live
registry of the process writes what it holds (the final flush of each document's log
and snapshot, the activity counters), and the process's connections leave presence.
Elsewhere (tests), whoever owns a registry closes it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async

if TYPE_CHECKING:
    from sessions.live.registry import LiveRegistry

logger = logging.getLogger("observer.live")

_registries: weakref.WeakSet[LiveRegistry] = weakref.WeakSet()


def on_shutdown(registry: LiveRegistry) -> None:
    """Close `registry` when the server process shuts down."""
    _registries.add(registry)


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

