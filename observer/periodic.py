"""Housekeeping each server process does on its own, every so often, without a human or a
timer: keep itself known as alive (observer.liveness), end what dead processes left
unfinished (coding.sweeper), deliver the webhooks that are due (integrations.webhooks).

Apps register their jobs (`register`, from AppConfig.ready); `Start` (around the ASGI
application in observer.asgi) starts them on the server's event loop with the first
request or connection the process serves. Several processes run the same jobs: each
job must be safe to run in all of them at once (a sweep changes only rows still
unfinished, a delivery claims its row first: see integrations.webhooks.deliver).

Each run of a job goes to a daemon thread of its own, not to the loop's executor: a
job may wait on the network (a webhook receiver, up to its timeout), and the
executor's threads are joined when the interpreter exits, which would hold a stopping
server (see observer.from_sync). A job cut short by the exit leaves nothing half done
that the next run does not finish.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections

from observer import liveness

logger = logging.getLogger("observer.periodic")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: Callable[[], float]  # read at each turn: settings may change (tests)
    run: Callable[[], object]


JOBS: dict[str, Job] = {}
_tasks: set[asyncio.Task[None]] = set()
_started_on: asyncio.AbstractEventLoop | None = None


def register(name: str, every_seconds: Callable[[], float], run: Callable[[], object]) -> None:
    JOBS[name] = Job(name, every_seconds, run)


def _heartbeat_seconds() -> float:
    return float(getattr(settings, "LIVE_PRESENCE_HEARTBEAT_SECONDS", liveness.DEFAULT_HEARTBEAT_SECONDS))


register("alive", _heartbeat_seconds, liveness.refresh)


def enabled() -> bool:
    return bool(getattr(settings, "PERIODIC_JOBS", True))


def _in_daemon_thread(job: Job) -> asyncio.Future[None]:
    """Run the job once in a daemon thread of its own; the future is done when it is."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle() -> None:
        if not done.done():
            done.set_result(None)

    def work() -> None:
        try:
            job.run()
        except Exception:
            logger.exception("periodic job %s failed", job.name)
        finally:
            connections.close_all()  # this thread's own, never reused
        try:
            loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the loop closed meanwhile (the server stopped)
            pass

    threading.Thread(target=work, name=f"periodic-{job.name}", daemon=True).start()
    return done


async def _keep_running(job: Job) -> None:
    while True:
        await _in_daemon_thread(job)
        await asyncio.sleep(max(0.5, float(job.every_seconds())))


def start() -> bool:
    """Start every registered job on the running loop, once per loop; True if started now."""
    global _started_on
    loop = asyncio.get_running_loop()
    if _started_on is loop or not enabled():
        return False
    _started_on = loop
    for job in JOBS.values():
        task = loop.create_task(_keep_running(job), name=f"periodic-{job.name}")
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)
    return True


class Start:
    """ASGI middleware: the first scope a server process serves starts its periodic jobs."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if _started_on is None:
            start()
        await self.app(scope, receive, send)
