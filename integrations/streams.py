"""An API key's execution as it runs, to its stream sockets (/ws/executions/{id}/).

The run (integrations.executions.execute, on some server process) tells its frames to
the execution's group on the channel layer through an `ExecutionStream` (a run sink):
status frames, stdout and stderr as UTF-8 text, and at the end `done`, once the result
is stored. A stream socket (integrations.consumers, on any process) joins the group,
relays what it hears, and on `done` sends the stored result and closes. Only
`?async=true` executions stream: their id is known before the run ends.

Frames leave one at a time, in order, from one task per run: a channel layer's sends
may overtake each other when several are in flight at once (Redis connections).
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import uuid
from typing import Any

from channels.layers import get_channel_layer

from coding import runs
from observer import contract

logger = logging.getLogger("observer.integrations")

DONE = "execution.done"
FRAME = "execution.frame"


def group(execution_id: uuid.UUID | str) -> str:
    return f"execution.{uuid.UUID(str(execution_id)).hex}"


class ExecutionStream(runs.NullSink):
    """A run sink that keeps the refusal (for the stored answer) and, when `live`, tells
    every frame to the execution's stream sockets."""

    def __init__(self, execution_id: uuid.UUID, *, live: bool) -> None:
        self.refusal: dict[str, Any] | None = None
        self.live = live
        self.group = group(execution_id)
        self._decoders = {name: codecs.getincrementaldecoder("utf-8")("replace") for name in ("stdout", "stderr")}
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None

    def status(self, frame: contract.TerminalStatus) -> None:
        self._tell({"type": FRAME, "frame": dict(frame)})

    def output(self, data: bytes) -> None:
        self._text("stdout", data)

    def stderr(self, data: bytes) -> None:
        self._text("stderr", data)

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.refusal = {"code": code, "message": message, **extra}

    def _text(self, name: str, data: bytes, *, final: bool = False) -> None:
        text = self._decoders[name].decode(data, final)
        if text:
            frame = contract.ExecutionOutput(type="stdout" if name == "stdout" else "stderr", data=text)
            self._tell({"type": FRAME, "frame": frame})

    def _tell(self, message: dict[str, Any]) -> None:
        if not self.live:
            return
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._send_in_order())
        self._queue.put_nowait(message)

    async def _send_in_order(self) -> None:
        layer = get_channel_layer()
        while (message := await self._queue.get()) is not None:
            if layer is None:
                continue
            try:
                await layer.group_send(self.group, message)
            except Exception:  # a stream is a courtesy: the run and its stored result go on
                logger.exception("an execution's stream frame was not sent")

    async def done(self) -> None:
        """The result is stored: tell the sockets (after everything told before)."""
        for name in ("stdout", "stderr"):
            self._text(name, b"", final=True)
        self._tell({"type": DONE})
        if self._pump is not None:
            self._queue.put_nowait(None)
            await self._pump
