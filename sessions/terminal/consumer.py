"""`/ws/terminal/{participant_id}/`: a participant's interactive runs.

The student runs, types (binary stdin), resizes, interrupts, sends EOF and stops;
the session's teachers (and admins) watch the same output and may stop or interrupt.
Output and status frames reach every terminal socket of the participant, in any
process (see sessions.terminal.relay); error frames go to the socket that caused them.
"""

from __future__ import annotations

import uuid
from typing import Any

from channels.db import database_sync_to_async

from coding import frames, records, sweeper
from observer.errors import SessionEnded
from observer.wsbase import FrameError
from sessions import events
from sessions.consumers import SessionMemberConsumer
from sessions.live import access
from sessions.live.conf import live_setting
from sessions.live.registry import LiveRegistry, registry_for
from sessions.live.topics import terminal_topic
from sessions.terminal import plan, table

STUDENT_ONLY = {"run", "resize", "eof"}
COMMANDS = {"run", "resize", "interrupt", "eof", "stop"}
MAX_FILES = 64


def _int_field(message: dict[str, Any], name: str, low: int, high: int, default: int | None = None) -> int | None:
    value = message.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FrameError("invalid", f'"{name}" must be a whole number from {low} to {high}.')
    return value


def _run_request(message: dict[str, Any]) -> dict[str, Any]:
    entry = message.get("entry")
    if entry is not None and (not isinstance(entry, str) or not 0 < len(entry) <= 100):
        raise FrameError("invalid", '"entry" must be a file name.')
    files = message.get("files")
    if files is not None:
        if not isinstance(files, list) or len(files) > MAX_FILES or not all(isinstance(f, str) for f in files):
            raise FrameError("invalid", f'"files" must be a list of at most {MAX_FILES} file ids.')
        if any(access.parse_uuid(f) is None for f in files):
            raise FrameError("invalid", '"files" must hold file ids.')
    return {"entry": entry, "files": files, "rows": _int_field(message, "rows", 1, 500, 24),
            "cols": _int_field(message, "cols", 1, 1000, 80)}


class TerminalConsumer(SessionMemberConsumer):
    kind = "terminal"
    registry: LiveRegistry

    @property
    def max_frame_bytes(self) -> int:  # type: ignore[override]
        return int(live_setting("LIVE_TERMINAL_MAX_FRAME_BYTES"))

    async def authorize(self) -> int | None:
        participant_id = self.scope["url_route"]["kwargs"]["participant_id"]
        grant = await database_sync_to_async(access.participant_grant)(self._principal(), participant_id)
        if isinstance(grant, int):
            return grant
        self.grant = grant
        self.registry = registry_for(self.scope)
        return None

    @property
    def participant_id(self) -> uuid.UUID:
        assert self.grant.participant is not None
        return self.grant.participant.pk

    @property
    def topic(self) -> str:
        return terminal_topic(self.participant_id)

    async def on_accepted(self) -> None:
        sweeper.sweep_soon()
        self.token = uuid.uuid4().hex
        await self.registry.listen(self.topic, self._on_frame)
        await self.join_groups(
            events.session_group(self.grant.session.pk, "all"), events.participant_group(self.participant_id)
        )
        run = table.local_run(self.registry, self.participant_id)
        if run is not None and self.is_student:
            run.adopt(self.send_error)
        # Whoever runs this participant's program (here or elsewhere) tells us what is going on.
        self.registry.emit(self.topic, frames.watch_frame(self.token))

    async def on_disconnect(self, code: int) -> None:
        await self.registry.unlisten(self.topic, self._on_frame)
        run = table.local_run(self.registry, self.participant_id)
        if run is not None and self.is_student and run.on_error == self.send_error:
            run.requester_gone()
        await self.leave_groups()

    def _on_frame(self, raw: bytes) -> None:
        frame = frames.decode(raw)
        if frame is None or (raw[:1] == frames.DIRECT and frame.token != self.token):
            return
        if frame.kind == frames.OUTPUT:
            self.push(frame.body)
        elif frame.kind == frames.STATUS:
            self.push(frame.status())

    async def on_text(self, message: dict[str, Any]) -> None:
        name = message["type"]
        if name not in COMMANDS:
            raise FrameError("invalid", f"Unknown message type {name[:40]!r}.")
        if not self.grant.is_student and name in STUDENT_ONLY:
            raise FrameError("forbidden", "Teachers may watch, stop and interrupt a student's run, not start one.")
        if name == "run":
            await self._run(_run_request(message))
        elif name == "resize":
            rows = _int_field(message, "rows", 1, 500)
            cols = _int_field(message, "cols", 1, 1000)
            if rows is None or cols is None:
                raise FrameError("invalid", '"resize" needs "rows" and "cols".')
            self.registry.emit(self.topic, frames.command_frame("resize", rows=rows, cols=cols))
        else:
            self.registry.emit(self.topic, frames.command_frame(name))

    async def _run(self, request: dict[str, Any]) -> None:
        principal = self._principal()
        try:
            planned = await database_sync_to_async(plan.run_plan)(
                participant_id=self.participant_id, file_ids=request["files"], entry=request["entry"]
            )
        except (plan.RunRefused, SessionEnded) as refused:
            records.run_rejected(language="", reason=refused.code, principal=principal,
                                 participant_id=self.participant_id)
            self.send_error(refused.code, refused.message)
            return
        spec = plan.run_spec(planned, principal=principal, registry=self.registry,
                             rows=request["rows"], cols=request["cols"])
        table.request_run(self.registry, participant_id=self.participant_id, spec=spec, on_error=self.send_error)

    async def on_binary(self, data: bytes) -> None:
        if not self.grant.is_student:
            raise FrameError("forbidden", "Only the student types into their program.")
        self.registry.emit(self.topic, frames.input_frame(data))

    async def session_event(self, message: dict[str, Any]) -> None:
        event = message.get("event") or {}
        if self.removes_me(event):
            self.registry.emit(self.topic, frames.command_frame("stop"))
            await self.close(code=4403, reason="removed from the session")

