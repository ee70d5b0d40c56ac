"""An answer's generation: a task on the server's loop that outlives the socket that
asked (a tab that drops and reconnects resumes from what was generated), sends each
piece to every assist socket of the participant, keeps the text so far every second,
and ends in one of the question's statuses.

Under "hints only" the policy is enforced while streaming: trailing backticks are held
back until it is clear they do not open a code block, and once the answer shows one the
generation stops, the answer is withheld from the student (kept for the teacher) and
logged."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from channels.db import database_sync_to_async
from django.core.cache import cache

from assist import groups, prompts, services
from assist.conf import conf
from assist.models import Mode, QuestionStatus
from assist.providers import ProviderFailed, Usage, stream_chat

logger = logging.getLogger("assist")

WITHHELD = "This answer was withheld: it contained code, and your teacher allows hints only. Ask for a hint again."
FLUSH_SECONDS = 1.0

# The answers this process is generating, by question id (to stop them at once).
RUNNING: dict[uuid.UUID, asyncio.Task[None]] = {}
# What each of them has sent so far (a socket connecting in this process resumes from it
# exactly; in another process from the stored text, at most a second behind, and the
# question's final frame always carries the whole answer).
SENT: dict[uuid.UUID, str] = {}


def _stop_key(question_id: uuid.UUID) -> str:
    return f"assist:stop:{question_id}"


async def stop(question_id: uuid.UUID) -> None:
    """Stop an answer, in this process or (through the cache, seen within a second) another."""
    task = RUNNING.get(question_id)
    if task is not None:
        task.cancel()
    else:
        await cache.aset(_stop_key(question_id), 1, timeout=600)


def start(opened: services.Opened) -> asyncio.Task[None]:
    task = asyncio.get_running_loop().create_task(_generate(opened))
    RUNNING[opened.question.pk] = task
    SENT[opened.question.pk] = ""

    def done(_task: asyncio.Task[None]) -> None:
        RUNNING.pop(opened.question.pk, None)
        SENT.pop(opened.question.pk, None)

    task.add_done_callback(done)
    return task


def _shown(answer: str, mode: str) -> int:
    """How much of the answer may be sent now."""
    return len(answer.rstrip("`~")) if mode == Mode.HINTS else len(answer)


async def _generate(opened: services.Opened) -> None:
    question = opened.question
    group = groups.participant_group(question.participant_id)
    usage, answer, sent = Usage(), "", 0
    status, error, withheld = QuestionStatus.ANSWERED, "", ""
    started = last_flush = time.monotonic()
    try:
        async for piece in stream_chat(opened.endpoint, messages=opened.messages,
                                       max_tokens=int(conf("MAX_ANSWER_TOKENS")), usage=usage):  # fmt: skip
            answer += piece
            if prompts.breaks_policy(mode=question.mode, answer=answer):
                status, withheld = QuestionStatus.WITHHELD, answer
                logger.info("assist: answer %s withheld (code under hints only)", question.pk)
                break
            upto = _shown(answer, question.mode)
            if upto > sent:
                delta = {"type": "assist.delta", "question_id": str(question.pk), "offset": sent,
                         "text": answer[sent:upto]}  # fmt: skip
                await groups.send(group, {"type": "assist.frame", "frame": delta, "teacher_frame": delta})
                sent = upto
                SENT[question.pk] = answer[:sent]
            if time.monotonic() - last_flush >= FLUSH_SECONDS:
                last_flush = time.monotonic()
                await database_sync_to_async(services.question_progress)(question_id=question.pk, answer=answer[:sent])
                if await cache.aget(_stop_key(question.pk)):
                    status = QuestionStatus.STOPPED
                    break
    except ProviderFailed as exc:
        status, error = QuestionStatus.FAILED, exc.message
        logger.warning("assist: question %s failed: %s", question.pk, exc.code)
    except asyncio.CancelledError:
        status = QuestionStatus.STOPPED
    except Exception:
        logger.exception("assist: question %s failed", question.pk)
        status, error = QuestionStatus.FAILED, "The answer could not be generated."
    shown = WITHHELD if status == QuestionStatus.WITHHELD else answer
    if status == QuestionStatus.FAILED and not answer:
        shown = ""
    await database_sync_to_async(services.question_close)(
        question_id=question.pk, status=status, answer=shown, withheld=withheld, error=error, usage=usage,
        duration_ms=int((time.monotonic() - started) * 1000), allowance=opened.allowance,
    )  # fmt: skip
