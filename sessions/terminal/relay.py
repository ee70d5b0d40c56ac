"""The relay between one run (coding.runs) and every terminal socket of its
participant, in every server process: the run's sink emits on the participant's
terminal topic (coding.frames), and commands and input from any socket on that topic
reach the run. The process where `run` was asked owns the run (its program runs
there) and answers sockets that connect later with what is running and its recent
output."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from coding import frames
from coding.runs import Run, RunSpec
from observer import contract
from sessions.live.registry import LiveRegistry
from sessions.live.topics import terminal_topic

TAIL_BYTES = 16 * 1024
ORPHAN_GRACE_SECONDS = 10.0

ErrorSink = Callable[..., None]


class TerminalRun:
    """A run relayed to a participant's terminal topic; also its sink."""

    def __init__(self, registry: LiveRegistry, *, participant_id: uuid.UUID, spec: RunSpec,
                 on_error: ErrorSink) -> None:
        self.registry = registry
        self.participant_id = participant_id
        self.topic = terminal_topic(participant_id)
        self.on_error = on_error
        self.started: contract.TerminalStarted | None = None
        self.tail = bytearray()
        self.run = Run(spec, self)
        self._orphan: asyncio.TimerHandle | None = None

    async def main(self, *, after: asyncio.Future[None] | None = None) -> None:
        """The run, relayed, listening on the topic until it ends; `after`: the run it
        replaces here, whose exit frame comes before this one's first frame."""
        await self.registry.listen(self.topic, self.on_frame)
        try:
            if after is not None:
                await asyncio.wait([after])
            await self.run.start().wait()
        finally:
            if self._orphan is not None:
                self._orphan.cancel()
            await self.registry.unlisten(self.topic, self.on_frame)

    # --- the run's sink ---------------------------------------------------------------------

    def status(self, frame: contract.TerminalStatus) -> None:
        if frame["type"] == "started":
            self.started = frame
        self.registry.emit(self.topic, frames.status_frame(frame))

    def output(self, data: bytes) -> None:
        self.tail += data
        if len(self.tail) > TAIL_BYTES:
            del self.tail[: len(self.tail) - TAIL_BYTES]
        self.registry.emit(self.topic, frames.output_frame(data))

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.on_error(code, message, **extra)

    # --- the topic ------------------------------------------------------------------------------

    def on_frame(self, raw: bytes) -> None:
        frame = frames.decode(raw)
        if frame is None:
            return
        if frame.kind == frames.COMMAND:
            command = frame.command()
            if command is not None and not (command["cmd"] == "stop" and command.get("spare") == self.run.ticket):
                self.run.command(command)
        elif frame.kind == frames.INPUT:
            self.run.write(frame.body)
        elif frame.kind == frames.WATCH and self.started is not None and self.run.state == "running":
            self.registry.emit(self.topic, frames.direct_frame(frame.token, frames.status_frame(self.started)))
            if self.tail:
                self.registry.emit(self.topic, frames.direct_frame(frame.token, frames.output_frame(bytes(self.tail))))

    # --- the requesting socket going away ---------------------------------------------------

    def requester_gone(self) -> None:
        """The socket that asked for the run closed: the run stops unless a socket of the
        same student adopts it within the grace period (a reload)."""
        if self._orphan is None and self.run.state in ("queued", "running"):
            self._orphan = asyncio.get_running_loop().call_later(ORPHAN_GRACE_SECONDS, self.run.stop)

    def adopt(self, on_error: ErrorSink) -> None:
        self.on_error = on_error
        if self._orphan is not None:
            self._orphan.cancel()
            self._orphan = None
