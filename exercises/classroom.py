"""Exercises in a classroom session: attaching them, Check and Submit, scores, regrades
and the teacher's line comments (docs/API.md, "Exercises in a session").

A Check or Submit is recorded first (a `Submission`, status queued) with the student's
files as they are at that moment (their freshest text), then graded through the run
service in the student's name (exercises.runs.queued_run: run limits, the fair queue, an
Execution row attributed to the participant). Under the server the grading runs on its
event loop and the request answers at once; the student follows it through session
events (queue position, "test 3 of 10", the result). Without a server loop (tests,
commands) it runs to its end inside the call.

What a student is shown of a submission is `student_view`: hidden tests as pass/fail
only, counted apart. Nothing else built here for a student carries a hidden test.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import uuid
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Max, QuerySet
from django.db.models.signals import post_save
from django.utils import timezone
from rest_framework import exceptions

from accounts.principals import Principal
from coding import runner
from coding.languages import get_language
from coding.sandbox.base import SandboxError
from exercises import grading, markdown
from exercises.models import (
    Exercise,
    Feedback,
    SessionExercise,
    Submission,
    SubmissionKind,
    SubmissionStatus,
    TestVisibility,
)
from exercises.runs import RunRefused, queued_run
from observer import contract, from_sync, liveness
from observer.errors import Conflict
from sessions import events, selectors
from sessions.models import ClassSession, Document, Participant, SessionState
from sessions.serializers import PushedFileSerializer

logger = logging.getLogger("observer.exercises")

_FRAME = re.compile(rb"^[0-9a-f]{32} \{")


# --- attaching ------------------------------------------------------------------------------


def _changed(session: ClassSession) -> None:
    events.broadcast_on_commit(groups=[events.session_group(session.pk, "all")],
                               event=contract.ExercisesChanged(type="exercises.changed"))  # fmt: skip


def _require_not_ended(session: ClassSession) -> None:
    if session.state == SessionState.ENDED:
        raise Conflict("This session has ended.", code="session_ended")


def starter_files(link: SessionExercise) -> list[dict[str, str]]:
    return list(link.exercise.starter_files.get(link.session.language, []))


def give_starter_files(*, link: SessionExercise, participants: Iterable[Participant]) -> None:
    """The exercise's starter files become each participant's documents, except where
    they already have a file of that name (their work is never overwritten)."""
    files = starter_files(link)
    if not files:
        return
    participants = [p for p in participants if p.removed_at is None]
    taken = set(
        Document.objects.filter(participant__in=participants, deleted_at__isnull=True).values_list("participant_id",
                                                                                                    "name")
    )  # fmt: skip
    Document.objects.bulk_create(
        [Document(participant=p, name=f["name"], content=f.get("content", ""))
         for p in participants for f in files if (p.pk, f["name"]) not in taken],
        ignore_conflicts=True,
    )  # fmt: skip
    # Open workspaces add the new files as they add a teacher's pushed files.
    created = Document.objects.filter(participant__in=participants, deleted_at__isnull=True,
                                      name__in=[f["name"] for f in files])  # fmt: skip
    for document in created:
        if (document.participant_id, document.name) not in taken:
            events.broadcast_on_commit(
                groups=[events.participant_group(document.participant_id)],
                event=contract.FilePushed(type="file.pushed",
                                          file=contract.PushedFile(dict(PushedFileSerializer(document).data))),
            )  # fmt: skip


def link_create(*, session: ClassSession, exercise: Exercise, is_open: bool = True, policy: str = "best",
                deadline: datetime | None = None) -> SessionExercise:  # fmt: skip
    _require_not_ended(session)
    if session.language not in exercise.languages:
        raise exceptions.ValidationError(
            {
                "exercise_id": [
                    f"This exercise has no {session.language} version (it offers {', '.join(exercise.languages)})."
                ]
            }
        )
    with transaction.atomic():
        ClassSession.objects.select_for_update().filter(pk=session.pk).first()
        if SessionExercise.objects.filter(session=session, exercise=exercise).exists():
            raise Conflict("This exercise is already attached to the session.", code="already_attached")
        last = SessionExercise.objects.filter(session=session).aggregate(last=Max("order"))["last"]
        link = SessionExercise.objects.create(session=session, exercise=exercise, is_open=is_open, policy=policy,
                                              deadline=deadline, order=0 if last is None else last + 1)  # fmt: skip
        if is_open:
            give_starter_files(link=link, participants=session.participants.all())
        _changed(session)
    return link


def link_update(*, link: SessionExercise, data: dict[str, Any]) -> SessionExercise:
    opening = data.get("is_open") is True and not link.is_open
    with transaction.atomic():
        for key in ("is_open", "policy", "deadline", "order"):
            if key in data:
                setattr(link, key, data[key])
        link.save()
        if opening:
            give_starter_files(link=link, participants=link.session.participants.all())
        _changed(link.session)
    return link


def link_delete(*, link: SessionExercise) -> None:
    with transaction.atomic():
        link.delete()
        _changed(link.session)


def _on_participant_saved(sender: Any, instance: Participant, created: bool, **kwargs: Any) -> None:
    """A student who joins later gets the open exercises' starter files too, once the
    join (which creates the session's starter files) has committed."""
    if not created:
        return

    def give() -> None:
        for link in SessionExercise.objects.filter(session_id=instance.session_id, is_open=True).select_related(
                "exercise", "session"):  # fmt: skip
            give_starter_files(link=link, participants=[instance])

    transaction.on_commit(give)


def connect_signals() -> None:
    post_save.connect(_on_participant_saved, sender=Participant, dispatch_uid="exercises.starter_files")


# --- what students see ----------------------------------------------------------------------


def links_of(*, session: ClassSession) -> QuerySet[SessionExercise]:
    return (
        SessionExercise.objects.filter(session=session)
        .select_related("exercise", "session")
        .order_by("order", "created_at")
    )


def sample_tests(exercise: Exercise, language: str) -> list[dict[str, Any]]:
    shown = []
    for test in exercise.tests.order_by("order", "id"):
        if test.visibility != TestVisibility.SAMPLE:
            continue
        item: dict[str, Any] = {"id": str(test.pk), "name": test.name, "kind": test.kind, "weight": test.weight}
        if test.kind == "io":
            item |= {"stdin": test.stdin, "expected_stdout": test.expected_stdout, "comparison": test.comparison}
        else:
            unit = test.unit_files.get(language)
            item |= {"file": unit}
        shown.append(item)
    return shown


def student_exercise(link: SessionExercise, *, participant: Participant) -> dict[str, Any]:
    """One open exercise as its student sees it: no hidden test's content, only how many."""
    exercise, language = link.exercise, link.session.language
    tests = list(exercise.tests.all())
    hidden = [t for t in tests if t.visibility == TestVisibility.HIDDEN]
    mine = Submission.objects.filter(link=link, participant=participant)
    latest = mine.filter(kind=SubmissionKind.SUBMIT).order_by("-created_at").first()
    return {
        "id": str(link.pk), "exercise_id": str(exercise.pk), "title": exercise.title, "order": link.order,
        "difficulty": exercise.difficulty, "language": language, "policy": link.policy,
        "deadline": link.deadline.isoformat() if link.deadline else None,
        "statement_html": markdown.render(exercise.statement), "starter_files": starter_files(link),
        "sample_tests": sample_tests(exercise, language), "hidden_tests": len(hidden),
        "max_score": sum(t.weight for t in tests),
        "latest_submission": student_view(latest) if latest else None,
        "counted_score": counted_score(link=link, participant=participant),
    }  # fmt: skip


def student_view(submission: Submission) -> contract.StudentSubmission:
    tests = submission.results.get("tests", []) if submission.results else []
    shown = []
    for test in tests:
        if test.get("visibility") == TestVisibility.HIDDEN:
            shown.append({k: test[k] for k in ("id", "kind", "visibility", "weight", "passed", "status", "score")})
        else:
            shown.append(test)
    hidden = [t for t in tests if t.get("visibility") == TestVisibility.HIDDEN]
    return contract.StudentSubmission(
        id=str(submission.pk), session_exercise_id=str(submission.link_id), kind=submission.kind,  # type: ignore[typeddict-item]
        status=submission.status, score=submission.score, max_score=submission.max_score,  # type: ignore[typeddict-item]
        passed=submission.passed, late=submission.late, message=_student_message(submission),
        created_at=submission.created_at.isoformat(), tests=shown,  # type: ignore[typeddict-item]
        hidden_total=len(hidden), hidden_passed=sum(1 for t in hidden if t.get("passed")),
    )  # fmt: skip


def _student_message(submission: Submission) -> str:
    if submission.status != SubmissionStatus.COMPILE_ERROR:
        return submission.message
    return student_compile_message(message=submission.message, exercise=submission.link.exercise,
                                   language=submission.language, file_names=[f["name"] for f in submission.files])


def student_compile_message(*, message: str, exercise: Exercise, language: str, file_names: Sequence[str]) -> str:
    """A compile error as its student (or candidate) may see it: if hidden unit-test files
    were in the compile (compiled languages build them with the student's files), only the
    lines that name the student's own files: the compiler quotes the source it complains about."""
    hidden = [t for t in exercise.tests.all()
              if t.visibility == TestVisibility.HIDDEN and t.unit_files.get(language)]  # fmt: skip
    if not hidden:
        return message
    own = tuple(f"{name}:" for name in file_names) + tuple(f"/work/{name}:" for name in file_names)
    kept = [line for line in message.splitlines() if line.startswith(own)]
    note = "(The tests' own files are not shown.)"
    return "\n".join([*kept, note]) if kept else f"Your code did not compile together with the tests. {note}"


def teacher_view(submission: Submission) -> dict[str, Any]:
    return {
        "id": str(submission.pk), "session_exercise_id": str(submission.link_id),
        "participant_id": str(submission.participant_id), "kind": submission.kind, "status": submission.status,
        "score": submission.score, "max_score": submission.max_score, "passed": submission.passed,
        "late": submission.late, "message": submission.message, "regraded": submission.regraded,
        "created_at": submission.created_at.isoformat(),
        "graded_at": submission.graded_at.isoformat() if submission.graded_at else None,
        "files": submission.files, "results": submission.results,
    }  # fmt: skip


# --- scores -----------------------------------------------------------------------------------


def counted(link: SessionExercise, submissions: Sequence[Submission]) -> Submission | None:
    """The submission that counts under the teacher's policy (Submit only; oldest first given)."""
    graded = [s for s in submissions if s.kind == SubmissionKind.SUBMIT and s.status != SubmissionStatus.QUEUED
              and s.status != SubmissionStatus.REFUSED]  # fmt: skip
    if not graded:
        return None
    if link.policy == "last":
        return graded[-1]
    return max(graded, key=lambda s: (s.score, s.created_at))


def counted_score(*, link: SessionExercise, participant: Participant) -> int | None:
    chosen = _counted_of(link, participant.pk)
    return chosen.score if chosen else None


def _counted_of(link: SessionExercise, participant_id: uuid.UUID) -> Submission | None:
    submits = Submission.objects.filter(link=link, participant_id=participant_id, kind=SubmissionKind.SUBMIT)
    return counted(link, list(submits.defer("files").order_by("created_at")))


# --- Check and Submit -------------------------------------------------------------------------


def _files_of(participant: Participant, link: SessionExercise) -> list[dict[str, str]]:
    documents = selectors.with_current_text(selectors.documents_of(participant=participant))
    return _entry_first([{"name": d.name, "content": d.current_text} for d in documents], link)  # type: ignore[attr-defined]


def _entry_first(files: list[dict[str, str]], link: SessionExercise) -> list[dict[str, str]]:
    starters = [f["name"] for f in starter_files(link)]
    entry = next((name for name in starters if any(f["name"] == name for f in files)), None)
    if entry:  # the exercise's first starter file is the program's entry
        files.sort(key=lambda f: f["name"] != entry)
    return files


async def _live_files(submission: Submission) -> list[dict[str, str]]:
    """The participant's files as the live documents hold them (what is on their screen:
    the database's copy may lag the editor by a moment), as a terminal run reads them."""
    from sessions.live.registry import default_registry
    from sessions.terminal.plan import LiveFiles

    def documents() -> tuple[tuple[uuid.UUID, str], ...]:
        return tuple(selectors.documents_of(participant=submission.participant).values_list("id", "name"))

    live = LiveFiles(default_registry(), await sync_to_async(documents)())
    await live.prepare()
    try:
        read = await live.read()
    finally:
        await live.close()
    return _entry_first([{"name": name, "content": text} for name, text in read], submission.link)


def submission_start(*, participant: Participant, link: SessionExercise, kind: str) -> Submission:
    """Record a Check or Submit of the participant's current files, to be graded."""
    session = link.session
    _require_not_ended(session)
    if link.session_id != participant.session_id:
        raise exceptions.NotFound("No such exercise in this session.")
    if not link.is_open:
        raise Conflict("This exercise is not open.", code="exercise_closed")
    files = _files_of(participant, link)
    if not files:
        raise exceptions.ValidationError({"files": ["You have no files to test."]})
    try:  # names and the source cap, as the run would check them: refused before anything is kept
        runner.prepare_sources([(f["name"], f["content"]) for f in files], None, get_language(session.language),
                               runner.default_limits(session.language))  # fmt: skip
    except runner.InvalidRun as error:
        raise exceptions.ValidationError({"files": [f"Your files cannot be tested: {error}."]}) from error
    cases = grading.cases_of(link.exercise)
    which: grading.Which = "sample" if kind == SubmissionKind.CHECK else "all"
    if not grading.select(cases, language=session.language, which=which):
        raise exceptions.ValidationError({"kind": ["This exercise has no tests to run here."]})
    late = link.deadline is not None and timezone.now() > link.deadline
    liveness.ensure_alive()  # this process grades it (exercises.sweeper ends it if the process dies)
    return Submission.objects.create(link=link, participant=participant, kind=kind, language=session.language,
                                     files=files, late=late, owner=liveness.PROCESS)  # fmt: skip


class _Progress:
    """The run service's frames, told to the student's tabs as exercise.progress events:
    the queue position, then how many of the tests the harness has reported."""

    def __init__(self, submission: Submission, total: int) -> None:
        self.submission, self.total = submission, total
        self.done, self.buffer = 0, b""
        self.group = events.participant_group(submission.participant_id)

    def _tell(self, phase: str, position: int | None = None) -> None:
        sub = self.submission
        publish([self.group], contract.ExerciseProgress(
            type="exercise.progress", submission_id=str(sub.pk), session_exercise_id=str(sub.link_id),
            kind=sub.kind, phase=phase, position=position, done=self.done, total=self.total,  # type: ignore[typeddict-item]
        ))  # fmt: skip

    def status(self, frame: contract.TerminalStatus) -> None:
        if frame["type"] == "queued":
            self._tell("queued", frame["position"])
        elif frame["type"] == "started":
            self._tell("running")

    def output(self, data: bytes) -> None:
        # Each harness frame is one line "<nonce> {json}"; only counted here, never shown:
        # the server's grading reads the frames from the run's whole stdout.
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        before = self.done
        self.done = min(self.total, self.done + sum(1 for line in lines if _FRAME.match(line) and b'"case"' in line))
        if self.done != before:
            self._tell("running")

    def error(self, code: str, message: str, **extra: Any) -> None:
        pass


def publish(groups: list[str], event: contract.BroadcastEvent) -> None:
    """Send an event from the event loop (a run's sink), without waiting for it."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = contract.SessionEventMessage(type="session.event", event=event)
    loop = asyncio.get_running_loop()
    for group in groups:
        loop.create_task(layer.group_send(group, message))


async def grade(*, submission_id: uuid.UUID, principal: Principal, regrade: bool = False, live: bool = False) -> None:
    """Grade a recorded submission through the run service and store the outcome.
    `principal`: whose run (the student's; a regrade: the teacher's, queued one after another)."""
    submission = await sync_to_async(
        Submission.objects.select_related("link__exercise", "link__session", "participant").get
    )(pk=submission_id)
    link = submission.link
    if live:  # on the server's loop, where the live documents are
        try:
            submission.files = await _live_files(submission)
            await sync_to_async(Submission.objects.filter(pk=submission.pk).update)(files=submission.files)
        except Exception:  # the database's copy, recorded when it was pressed, is graded instead
            logger.exception("reading the live files of submission %s", submission_id)
    cases = await sync_to_async(grading.cases_of)(link.exercise)
    which: grading.Which = "sample" if submission.kind == SubmissionKind.CHECK else "all"
    sink = _Progress(submission, len(grading.select(cases, language=submission.language, which=which)))
    # A regrade is bounded by the class (one run per student's latest Submit, one at a
    # time): the teacher's runs-per-window limit must not cut it short.
    run = queued_run(principal=principal, sink=sink,
                     participant_id=submission.participant_id, session_id=link.session_id,
                     stream_stdout=not regrade, replaces=not regrade, counted=not regrade)  # fmt: skip
    outcome: grading.Grade | None = None
    status, message = SubmissionStatus.ERROR, ""
    try:
        outcome = await grading.grade_submission(
            language=submission.language, files=[(f["name"], f["content"]) for f in submission.files],
            cases=cases, which=which, run=run)  # fmt: skip
    except grading.GradingError as error:
        message = str(error)
    except RunRefused as refused:
        status, message = SubmissionStatus.REFUSED, refused.message
    except SandboxError:
        message = "Programs cannot run on this server right now."
    except Exception:
        logger.exception("grading submission %s failed", submission_id)
        message = "The tests could not run; try again."
    await sync_to_async(store)(submission_id=submission_id, outcome=outcome, status=status, message=message,
                               regrade=regrade)  # fmt: skip


def store(*, submission_id: uuid.UUID, outcome: grading.Grade | None, status: str, message: str,
          regrade: bool = False) -> Submission:  # fmt: skip
    with transaction.atomic():
        submission = Submission.objects.select_for_update().select_related("link").get(pk=submission_id)
        if outcome is not None:
            submission.status = outcome.status if outcome.status in SubmissionStatus.values else "error"
            submission.results = outcome.as_dict(for_student=False)
            submission.score, submission.max_score = outcome.score, outcome.max_score
            submission.passed = outcome.status == "graded" and outcome.all_passed
            submission.message = outcome.message
        else:
            submission.status, submission.message = status, message
            if regrade:  # a regrade that could not run leaves the previous grade
                submission.status = submission.results.get("status", status) if submission.results else status
        if regrade:
            submission.regraded += 1
        submission.graded_at = timezone.now()
        submission.save()
        participant = submission.participant_id
        events.broadcast_on_commit(groups=[events.participant_group(participant)],
                                   event=contract.ExerciseResult(type="exercise.result",
                                                                 submission=student_view(submission)))  # fmt: skip
        if submission.kind == SubmissionKind.SUBMIT:
            _tell_teachers(submission)
    return submission


def _tell_teachers(submission: Submission) -> None:
    link = submission.link
    chosen = _counted_of(link, submission.participant_id)
    events.broadcast_on_commit(
        groups=[events.session_group(link.session_id, "teachers")],
        event=contract.ExerciseGraded(
            type="exercise.graded", participant_id=str(submission.participant_id), session_exercise_id=str(link.pk),
            submission_id=str(submission.pk), status=submission.status, score=submission.score,  # type: ignore[typeddict-item]
            max_score=submission.max_score, passed=submission.passed, late=submission.late,
            counted_score=chosen.score if chosen else None),
    )  # fmt: skip


def launch(*, submission: Submission, principal: Principal) -> Submission:
    """Grade the submission: on the server's loop in the background (the student follows
    the events), or here to its end when there is no server loop."""
    loop = from_sync._server_loop()
    if loop is not None and loop.is_running():
        _in_background(loop, grade(submission_id=submission.pk, principal=principal, live=True))
        return submission
    async_to_sync(grade)(submission_id=submission.pk, principal=principal)
    submission.refresh_from_db()
    return submission


_background: set[asyncio.Task[None]] = set()


def _in_background(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, None]) -> None:
    """Start `coroutine` on the server's loop, outliving the request. It gets an empty
    context: the request's own (asgiref's executor for this request's thread, which
    goes away when the response is sent) must not follow it."""

    def start() -> None:
        task = loop.create_task(coroutine)
        _background.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(_finished)

    loop.call_soon_threadsafe(start, context=contextvars.Context())


def _finished(task: asyncio.Task[None]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("grading failed", exc_info=task.exception())


# --- regrade ----------------------------------------------------------------------------------


def regrade_targets(*, link: SessionExercise, participant: Participant | None = None) -> list[Submission]:
    """Each student's latest Submit of the exercise (or one student's)."""
    submissions = Submission.objects.filter(link=link, kind=SubmissionKind.SUBMIT).exclude(
        status__in=[SubmissionStatus.QUEUED, SubmissionStatus.REFUSED]
    )
    if participant is not None:
        submissions = submissions.filter(participant=participant)
    latest: dict[uuid.UUID, Submission] = {}
    for submission in submissions.order_by("created_at"):
        latest[submission.participant_id] = submission
    return list(latest.values())


async def regrade_all(*, link_id: uuid.UUID, submission_ids: list[uuid.UUID], principal: Principal) -> None:
    """Run each submission again, in the teacher's name (their runs queue up behind each
    other in the fair queue, so the class's own runs keep their turns), telling the
    teachers how far it got."""
    total, done = len(submission_ids), 0
    session_id = await sync_to_async(lambda: SessionExercise.objects.get(pk=link_id).session_id)()
    group = events.session_group(session_id, "teachers")

    async def one(submission_id: uuid.UUID) -> None:
        nonlocal done
        await grade(submission_id=submission_id, principal=principal, regrade=True)
        done += 1
        publish([group], contract.ExerciseRegrade(type="exercise.regrade", session_exercise_id=str(link_id),
                                                  done=done, total=total))  # fmt: skip

    publish([group], contract.ExerciseRegrade(type="exercise.regrade", session_exercise_id=str(link_id),
                                              done=0, total=total))  # fmt: skip
    await asyncio.gather(*(one(submission_id) for submission_id in submission_ids))


def regrade_launch(*, link: SessionExercise, principal: Principal, participant: Participant | None = None) -> int:
    targets = regrade_targets(link=link, participant=participant)
    ids = [s.pk for s in targets]
    if not ids:
        return 0
    loop = from_sync._server_loop()
    if loop is not None and loop.is_running():
        _in_background(loop, regrade_all(link_id=link.pk, submission_ids=ids, principal=principal))
    else:
        async_to_sync(regrade_all)(link_id=link.pk, submission_ids=ids, principal=principal)
    return len(ids)


# --- feedback ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackInput:
    file_name: str
    line: int
    text: str
    submission: Submission | None


def feedback_add(*, participant: Participant, author: Any, data: FeedbackInput) -> Feedback:
    with transaction.atomic():
        feedback = Feedback.objects.create(participant=participant, submission=data.submission,
                                           file_name=data.file_name, line=data.line, text=data.text,
                                           author=author)  # fmt: skip
        events.broadcast_on_commit(
            groups=[events.participant_group(participant.pk), events.session_group(participant.session_id, "teachers")],
            event=contract.FeedbackAdded(
                type="feedback.added", participant_id=str(participant.pk), feedback_id=str(feedback.pk),
                submission_id=str(data.submission.pk) if data.submission else None, file_name=feedback.file_name,
                line=feedback.line, text=feedback.text, created_at=feedback.created_at.isoformat()),
        )  # fmt: skip
    return feedback


def feedback_view(feedback: Feedback) -> dict[str, Any]:
    return {"id": str(feedback.pk), "participant_id": str(feedback.participant_id),
            "submission_id": str(feedback.submission_id) if feedback.submission_id else None,
            "file_name": feedback.file_name, "line": feedback.line, "text": feedback.text,
            "author": getattr(feedback.author, "name", "") if feedback.author else "",
            "created_at": feedback.created_at.isoformat()}  # fmt: skip


def dumps(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8")
