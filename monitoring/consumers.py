"""``/ws/monitoring/``: the operator dashboard's live figures.

The server pushes ``{"type": "figures", ...}`` when a dashboard connects, shortly after
any run is queued, starts or ends and any WebSocket opens or closes (anywhere: the
notification crosses processes on the channel layer), and on a slow tick so the
time-window figures roll forward. Bursts are coalesced: one push per short delay.
The client may send ``{"type": "refresh"}`` for an immediate push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from channels.db import database_sync_to_async

from monitoring.broadcast import DASHBOARD_GROUP
from monitoring.conf import conf
from monitoring.selectors import current_figures
from observer.wsbase import CLOSE_FORBIDDEN, FrameError, ObserverConsumer

logger = logging.getLogger("observer.monitoring")

COALESCE_SECONDS = 0.25

# The last figures this process computed, shared by its dashboards: (computed when, figures).
_memo: tuple[float, dict[str, Any]] | None = None


async def figures_not_older_than(moment: float) -> dict[str, Any]:
    """Figures computed at or after `moment` (wall clock), reusing this process's last ones if fresh."""
    global _memo
    if _memo is not None and _memo[0] >= moment:
        return _memo[1]
    started = time.time()
    figures = await database_sync_to_async(current_figures)()
    if _memo is None or _memo[0] < started:
        _memo = (started, figures)
    return figures


class MonitoringConsumer(ObserverConsumer):
    kind = "monitoring"

    joined = False
    ticker: asyncio.Task[None] | None = None
    pending: asyncio.Task[None] | None = None
    changed_at: float | None = None

    async def authorize(self) -> int | None:
        user = self.scope.get("user")  # a User or a GuestPrincipal (accounts.middleware): both answer is_admin
        return None if user is not None and user.is_admin else CLOSE_FORBIDDEN

    async def on_accepted(self) -> None:
        self.lock = asyncio.Lock()
        await self.channel_layer.group_add(DASHBOARD_GROUP, self.channel_name)
        self.joined = True
        await self.push_figures(time.time() - 1)
        self.ticker = asyncio.get_running_loop().create_task(self.tick())

    async def on_disconnect(self, code: int) -> None:
        for task in (self.ticker, self.pending):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.joined:
            self.joined = False
            await self.channel_layer.group_discard(DASHBOARD_GROUP, self.channel_name)

    async def on_text(self, message: dict[str, Any]) -> None:
        if message["type"] != "refresh":
            raise FrameError("invalid", 'The only message this socket takes is {"type": "refresh"}.')
        await self.push_figures(time.time())

    async def figures_changed(self, event: dict[str, Any]) -> None:
        """A run or connection changed somewhere: push once the burst settles."""
        # This process's clock, not the sender's: the change happened before it arrived here.
        self.changed_at = time.time()
        if self.pending is None or self.pending.done():
            self.pending = asyncio.get_running_loop().create_task(self.push_changes())

    async def push_changes(self) -> None:
        while self.changed_at is not None:
            await asyncio.sleep(COALESCE_SECONDS)
            moment, self.changed_at = self.changed_at, None
            await self.push_figures(moment)

    async def tick(self) -> None:
        period = float(conf("MONITORING_DASHBOARD_TICK_SECONDS"))
        while True:
            await asyncio.sleep(period)
            await self.push_figures(time.time() - period / 2)

    async def push_figures(self, moment: float) -> None:
        async with self.lock:
            try:
                figures = await figures_not_older_than(moment)
            except Exception:  # the database may be down: say so and keep the socket
                logger.exception("could not compute dashboard figures")
                self.send_error("unavailable", "Figures are unavailable right now.")
                return
            self.push_json({"type": "figures", **figures})
