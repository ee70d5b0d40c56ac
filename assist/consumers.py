"""`/ws/assist/{participant_id}/`: a student asks the AI and reads answers as they are
generated; their teacher (and admins) watch the same socket read-only.

Client → server: `{"type": "ask", "kind": "explain"|"hint"|"question", "text": str,
"file"?: str, "line"?: int}`, `{"type": "stop", "question_id": str}`, `{"type": "ping"}`.
On connect the socket sends `assist.state` (what the student may ask, their latest
questions, an answer still streaming with its text so far), then deltas from where that
text ends: a tab that lost its connection resumes without losing or repeating words.
"""

from __future__ import annotations

import uuid
from typing import Any

from channels.db import database_sync_to_async

from accounts.principals import Principal
from assist import groups, selectors, services, streaming
from assist.errors import AssistRefused
from assist.models import Question, QuestionStatus
from assist.present import question_view
from observer import contract
from observer.wsbase import FrameError, ObserverConsumer
from sessions.live import access


class AssistConsumer(ObserverConsumer):
    kind = "assist"
    grant: access.Grant

    def _principal(self) -> Principal:
        return self.scope["user"]  # accounts.middleware lets no one else in

    @property
    def is_student(self) -> bool:
        return self.grant.is_student

    async def authorize(self) -> int | None:
        grant = await database_sync_to_async(access.participant_grant)(
            self._principal(), self.scope["url_route"]["kwargs"]["participant_id"]
        )
        if isinstance(grant, int):
            return grant
        self.grant = grant
        return None

    async def on_accepted(self) -> None:
        assert self.grant.participant is not None
        self.groups_joined = [groups.participant_group(self.grant.participant.pk),
                              groups.session_group(self.grant.session.pk)]  # fmt: skip
        if self.channel_layer is not None:
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
        self.push_json(await database_sync_to_async(self._state)())

    async def on_disconnect(self, code: int) -> None:
        # The answers this socket asked for go on (another tab, or this one reconnecting, reads them).
        if self.channel_layer is not None:
            for group in getattr(self, "groups_joined", []):
                await self.channel_layer.group_discard(group, self.channel_name)

    def _state(self) -> contract.AssistState:
        assert self.grant.participant is not None
        teacher = not self.is_student
        return contract.AssistState(
            type="assist.state",
            allowance=selectors.allowance_of(participant=self.grant.participant),
            questions=[question_view(q, for_teacher=teacher, answer=streaming.SENT.get(q.pk))
                       for q in selectors.recent_questions(participant=self.grant.participant)],
        )  # fmt: skip

    async def on_text(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            self.push_json(contract.Pong(type="pong"))
        elif kind == "ask":
            await self._ask(message)
        elif kind == "stop":
            await self._stop(message)
        else:
            raise FrameError("invalid", f"Unknown message type {str(kind)[:40]!r}.")

    async def _ask(self, message: dict[str, Any]) -> None:
        if not self.is_student:
            raise FrameError("forbidden", "Only the student asks the AI; teachers watch.")
        text, file_name, line = message.get("text", ""), message.get("file"), message.get("line")
        exercise = message.get("exercise")
        if not isinstance(text, str) or any(v is not None and not isinstance(v, str) for v in (file_name, exercise)):
            raise FrameError("invalid", "text, file and exercise are strings.")
        assert self.grant.participant is not None
        try:
            opened = await database_sync_to_async(services.question_open)(
                participant=self.grant.participant, kind=str(message.get("kind", "")), text=text,
                file_name=file_name, line=line, exercise_id=exercise,
            )  # fmt: skip
        except AssistRefused as exc:
            raise FrameError(exc.code, exc.message, retry_after=exc.retry_after) from None
        streaming.start(opened)

    async def _stop(self, message: dict[str, Any]) -> None:
        if not self.is_student:
            raise FrameError("forbidden", "Only the student stops their answers.")
        try:
            question_id = uuid.UUID(str(message.get("question_id")))
        except ValueError:
            raise FrameError("invalid", "question_id is a question's id.") from None
        assert self.grant.participant is not None
        mine = await Question.objects.filter(
            pk=question_id, participant=self.grant.participant, status=QuestionStatus.STREAMING
        ).aexists()
        if not mine:
            raise FrameError("not_found", "No answer of yours is streaming with that id.")
        await streaming.stop(question_id)

    # --- from the channel layer -------------------------------------------------------------

    async def assist_frame(self, message: dict[str, Any]) -> None:
        self.push_json(message["frame"] if self.is_student else message["teacher_frame"])

    async def assist_refresh(self, message: dict[str, Any]) -> None:
        assert self.grant.participant is not None
        allowance = await database_sync_to_async(selectors.allowance_of)(participant=self.grant.participant)
        self.push_json(contract.AssistAllowanceChanged(type="assist.allowance", allowance=allowance))
