"""Answers that a dead server process left `streaming` (it was generating them when it
stopped): failed with a message, as a provider failure is (the student and the
teachers hear it, the question is given back), so no answer streams for ever and the
student may ask again at once. Registered with coding.sweeper, which tells dead
processes from living ones."""

from __future__ import annotations

from django.db import transaction

from assist import limits, services
from assist.models import Question, QuestionStatus
from assist.providers import Usage
from coding.sweeper import Owners

ORPHANED_MESSAGE = "The server answering this stopped (a restart or a crash) before the answer ended; ask again."


def questions_sweep(owners: Owners) -> int:
    """Fail the streaming answers of processes that no longer run; how many failed."""
    streaming = Question.objects.filter(status=QuestionStatus.STREAMING).values_list("pk", "owner", "created_at")
    ended = 0
    for pk, owner, created_at in list(streaming):
        if not owners.orphaned(owner, created_at):
            continue
        with transaction.atomic():  # another process's sweep waits here, then finds it ended
            question = Question.objects.select_for_update().filter(pk=pk, status=QuestionStatus.STREAMING).first()
            if question is None:
                continue  # it ended meanwhile
            duration_ms = max(0, int((owners.now - question.created_at).total_seconds() * 1000))
            services.question_close(question_id=pk, status=QuestionStatus.FAILED, answer=question.answer,
                                    error=ORPHANED_MESSAGE, usage=Usage(), duration_ms=duration_ms,
                                    allowance=limits.taken_for(question))  # fmt: skip
        ended += 1
    return ended
