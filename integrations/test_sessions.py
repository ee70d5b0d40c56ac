"""Test sessions for external tools (/api/v1/test-sessions): an interview or assessment
tool gives a candidate questions from the bank, one at a time; the candidate tries the
sample tests as often as they like and submits each question once (every test); the
tool reads the report (per question: score, attempts, time spent).

Which questions: the bank as the key's owner sees it (exercises.selectors.exercises_for:
their own exercises and the shared ones; an admin's key, every one), of the difficulty
asked, offered in the language asked, with at least one test that applies to it; picked
at random, each at most once per session. A question is graded against the exercise's
tests as they are when it runs.

Runs go through the exercises' grading path (one sandboxed batch run per Test or Submit,
exercises.runs.queued_run): the run service's queue with the key as its principal
(`k:<key id>`, one place at a time), an Execution attributed to the key, and the key's
own executions-per-minute allowance instead of the students' runs-per-window limit.
What the candidate's tool is shown of a hidden test is whether it passed and how it
ended, never its input, output or name (grading.TestOutcome.as_dict(for_student=True)).

Time per question: from the moment it is handed out (the session's creation for the
first, the previous submit for the others) to its submit. Completing the session
enqueues the key's `test_session.completed` webhook (integrations.webhooks) when the key
has a webhook URL.
"""

from __future__ import annotations

import datetime
import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from accounts.models import User
from coding import runner
from coding.languages import get_language
from coding.sandbox.base import SandboxError, Status  # types only: runs go through the run service
from exercises import grading, markdown
from exercises import limits as bank_limits
from exercises.classroom import sample_tests, student_compile_message
from exercises.errors import RunNotStartedError, SandboxUnavailableError
from exercises.models import Exercise, TestVisibility
from exercises.runs import RunRefused, queued_run
from exercises.selectors import exercises_for
from integrations import background, key_webhooks, webhooks
from integrations.judge0.services import key_turn
from integrations.models import ApiKey, TestSession, TestSessionQuestion, WebhookDelivery
from observer import from_sync
from observer.errors import Conflict, RateLimited

MAX_QUESTIONS = 20
# A submit being graded holds its question; a hold older than this was left by a stopped
# server and no longer blocks a new submit.
STALE_SUBMIT = datetime.timedelta(minutes=10)
COMPLETED_EVENT = "test_session.completed"
HIDDEN_FIELDS = ("id", "kind", "visibility", "weight", "passed", "status", "score")


class SessionComplete(Conflict):
    default_code = "test_session_complete"
    default_detail = "This test session is complete: it takes no more runs."


# --- picking questions -------------------------------------------------------------------


def _applicable_max(exercise: Exercise, language: str) -> int:
    """The exercise's score in this language (0: no test applies to it)."""
    return sum(case.weight for case in grading.select(grading.cases_of(exercise), language=language, which="all"))


def pick_questions(*, owner: User, language: str, difficulty: str, count: int) -> list[tuple[Exercise, int]]:
    """`count` exercises at random (each with its score in `language`), or ValidationError
    naming what is missing. Reads only: nothing is kept."""
    bank = [e for e in exercises_for(principal=owner).filter(difficulty=difficulty)
            if getattr(e, "tests_count", 0) and language in (e.languages or [])]  # fmt: skip
    random.shuffle(bank)
    picked: list[tuple[Exercise, int]] = []
    for exercise in bank:
        most = _applicable_max(exercise, language)
        if most:
            picked.append((exercise, most))
            if len(picked) == count:
                return picked
    if not picked:
        raise ValidationError({"difficulty": [f"This key's bank has no {difficulty} questions with tests in "
                                              f"{language}."]})  # fmt: skip
    raise ValidationError({"questions": [f"This key's bank has only {len(picked)} {difficulty} question(s) "
                                         f"with tests in {language}."]})  # fmt: skip


def session_create(*, key: ApiKey, candidate_name: str, language: str, difficulty: str,
                   picked: Sequence[tuple[Exercise, int]]) -> TestSession:  # fmt: skip
    """A session with the picked questions, the first handed out now."""
    now = timezone.now()
    with transaction.atomic():
        session = TestSession.objects.create(api_key=key, candidate_name=candidate_name, language=language,
                                             difficulty=difficulty, created_at=now)  # fmt: skip
        TestSessionQuestion.objects.bulk_create([
            TestSessionQuestion(session=session, number=number, exercise=exercise, title=exercise.title,
                                max_score=most, handed_out_at=now if number == 1 else None)
            for number, (exercise, most) in enumerate(picked, start=1)
        ])  # fmt: skip
    return session


# --- reads ---------------------------------------------------------------------------------


def key_session(*, key: ApiKey, session_id: uuid.UUID) -> TestSession:
    """One of the key's test sessions; another key's (or none) is a 404."""
    session = TestSession.objects.filter(pk=session_id, api_key=key).first()
    if session is None:
        raise NotFound("No such test session.")
    return session


def current_question(session: TestSession) -> TestSessionQuestion | None:
    """The question handed out and not yet graded (None once the session is complete)."""
    if session.state == TestSession.State.COMPLETE:
        return None
    return (session.questions.select_related("exercise").filter(handed_out_at__isnull=False, graded_at__isnull=True)
            .order_by("number").first())  # fmt: skip


def question_view(question: TestSessionQuestion, *, language: str) -> dict[str, Any]:
    """A question as the candidate gets it: statement, starter code, the sample tests; of
    the hidden tests only how many there are."""
    exercise = question.exercise
    tests = list(exercise.tests.all()) if exercise is not None else []
    return {
        "number": question.number, "title": question.title,
        "statement": exercise.statement if exercise else "",
        "statement_html": markdown.render(exercise.statement) if exercise else "",
        "starter_files": list(exercise.starter_files.get(language, [])) if exercise else [],
        "sample_tests": sample_tests(exercise, language) if exercise else [],
        "hidden_tests": sum(1 for t in tests if t.visibility == TestVisibility.HIDDEN),
        "max_score": question.max_score,
        "handed_out_at": question.handed_out_at.isoformat() if question.handed_out_at else None,
    }  # fmt: skip


def withheld(tests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Test results with every hidden test cut to pass/fail and how it ended."""
    return [{k: t.get(k) for k in HIDDEN_FIELDS} if t.get("visibility") == TestVisibility.HIDDEN else dict(t)
            for t in tests]  # fmt: skip


def _seconds(start: datetime.datetime | None, end: datetime.datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


def report(session: TestSession) -> dict[str, Any]:
    """The session as the key reads it (GET, and the completed webhook's body)."""
    questions = list(session.questions.order_by("number"))
    current = next((q for q in questions if q.handed_out_at and not q.graded_at), None)
    complete = session.state == TestSession.State.COMPLETE
    return {
        "session_id": str(session.pk), "candidate_name": session.candidate_name, "language": session.language,
        "difficulty": session.difficulty, "status": session.state, "complete": complete,
        "created_at": session.created_at.isoformat(),
        "completed_at": session.completed_at.isoformat() if session.completed_at else None,
        "total_questions": len(questions),
        "question_number": current.number if current and not complete else None,
        "score": sum(q.score for q in questions), "max_score": sum(q.max_score for q in questions),
        "questions": [{
            "number": q.number, "title": q.title, "exercise_id": str(q.exercise_id) if q.exercise_id else None,
            "state": "submitted" if q.graded_at else ("open" if q.handed_out_at else "waiting"),
            "status": q.status or None, "score": q.score, "max_score": q.max_score, "passed": q.passed,
            "attempts": q.sample_runs + (1 if q.graded_at else 0), "sample_runs": q.sample_runs,
            "handed_out_at": q.handed_out_at.isoformat() if q.handed_out_at else None,
            "submitted_at": q.submitted_at.isoformat() if q.graded_at and q.submitted_at else None,
            "time_spent_seconds": _seconds(q.handed_out_at, q.submitted_at) if q.graded_at else None,
            "files": q.files if q.graded_at else [],
            "test_results": withheld((q.results or {}).get("tests", [])),
        } for q in questions],
    }  # fmt: skip


# --- Test and Submit -------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """What the candidate sent: one program (`code`, in the question's entry file) or files."""

    code: str | None = None
    files: Sequence[dict[str, str]] = ()
    question_number: int | None = None


def _open_question(session: TestSession, code: Code) -> TestSessionQuestion:
    if session.state == TestSession.State.COMPLETE:
        raise SessionComplete()
    question = current_question(session)
    if question is None:  # every question graded, the session's completion on its way
        raise SessionComplete()
    if code.question_number is not None and code.question_number != question.number:
        raise Conflict(f"Question {code.question_number} is not the open one (question {question.number} is).",
                       code="question_changed")  # fmt: skip
    if question.exercise is None:
        raise Conflict("This question was removed from the bank.", code="question_unavailable")
    return question


def _files(question: TestSessionQuestion, *, language: str, code: Code) -> list[tuple[str, str]]:
    """The candidate's files, the question's entry first, checked as a run would check them
    (names, the source cap, reserved names): a 400 before anything runs or is counted."""
    assert question.exercise is not None
    starters = [f["name"] for f in question.exercise.starter_files.get(language, [])]
    field = "code" if code.code is not None else "files"
    if code.code is not None:
        files = [(starters[0] if starters else get_language(language).entry_name, code.code)]
    else:
        files = [(f["name"], f["content"]) for f in code.files]
        entry = next((name for name in starters if any(n == name for n, _ in files)), None)
        if entry:
            files.sort(key=lambda f: f[0] != entry)
    for name, _ in files:
        if name.rsplit("/", 1)[-1].startswith(bank_limits.RESERVED_PREFIX):
            raise ValidationError({field: [f"File names starting with {bank_limits.RESERVED_PREFIX!r} are "
                                           "reserved for the tests."]})  # fmt: skip
    try:
        runner.prepare_sources(files, None, get_language(language), runner.default_limits(language))
    except runner.InvalidRun as error:
        raise ValidationError({field: [f"The code cannot be tested: {error}."]}) from error
    return files


def _grade(*, key_id: uuid.UUID, language: str, files: list[tuple[str, str]], cases: list[grading.CaseSpec],
           which: grading.Which) -> grading.Grade:  # fmt: skip
    """One grading run through the run service as the key (on the server's loop), its
    refusals as the API's errors."""

    async def run() -> grading.Grade:
        async with key_turn(f"k:{key_id}"):  # one run of a key at a time in this process, as its other runs
            return await grading.grade_submission(
                language=language, files=files, cases=cases, which=which,
                run=queued_run(principal=None, api_key_id=key_id, replaces=False, counted=False))  # fmt: skip

    try:
        grade = background.run(run)
    except grading.GradingError as error:
        raise ValidationError({"code": [str(error)]}) from error
    except SandboxError as error:
        raise SandboxUnavailableError(str(error)) from error
    except RunRefused as refused:
        if refused.code == "rate_limited":
            raise RateLimited(float(refused.extra.get("retry_after") or 1), refused.message) from refused
        raise RunNotStartedError(refused.code, refused.message) from refused
    if grade.run.get("status") == Status.SANDBOX_ERROR:  # the server's failure, not the candidate's answer
        raise SandboxUnavailableError(str(grade.run.get("message") or "") or None)
    return grade


def grade_answer(grade: grading.Grade, *, exercise: Exercise | None, language: str,
                 files: Sequence[tuple[str, str]]) -> dict[str, Any]:  # fmt: skip
    """A grading as the candidate's tool is shown it: hidden tests withheld."""
    shown = grade.as_dict(for_student=True)
    message = grade.message
    if grade.status == "compile-error" and exercise is not None:
        message = student_compile_message(message=message, exercise=exercise, language=language,
                                          file_names=[name for name, _ in files])  # fmt: skip
    hidden = [t for t in grade.tests if t.visibility == TestVisibility.HIDDEN]
    return {
        "status": grade.status, "score": grade.score, "max_score": grade.max_score,
        "passed": grade.status == "graded" and grade.all_passed, "message": message,
        "tests_passed": shown["passed"], "tests_total": shown["total"],
        "hidden_total": len(hidden), "hidden_passed": sum(1 for t in hidden if t.passed),
        "run": shown["run"], "test_results": shown["tests"],
    }  # fmt: skip


def sample_run(*, session: TestSession, code: Code, take_run: Callable[[], None]) -> dict[str, Any]:
    """Run the open question's sample tests on the code; counts as an attempt.
    `take_run` takes one run of the key's allowance once the request is known good."""
    question = _open_question(session, code)
    assert question.exercise is not None
    files = _files(question, language=session.language, code=code)
    cases = grading.cases_of(question.exercise)
    if not grading.select(cases, language=session.language, which="sample"):
        raise ValidationError({"code": ["This question has no sample tests: submit it to run every test."]})
    take_run()
    grade = _grade(key_id=session.api_key_id, language=session.language, files=files, cases=cases, which="sample")
    TestSessionQuestion.objects.filter(pk=question.pk).update(sample_runs=F("sample_runs") + 1)
    return {"question_number": question.number,
            **grade_answer(grade, exercise=question.exercise, language=session.language, files=files)}


def _claim(question: TestSessionQuestion) -> datetime.datetime:
    """Hold the question for this submit (another submit of it meanwhile is a 409)."""
    now = timezone.now()
    with transaction.atomic():
        held = TestSessionQuestion.objects.select_for_update().get(pk=question.pk)
        if held.graded_at is not None:
            raise Conflict("This question has been submitted already.", code="already_submitted")
        if held.submitted_at is not None and now - held.submitted_at < STALE_SUBMIT:
            raise Conflict("This question's submit is being graded.", code="submit_in_progress")
        held.submitted_at = now
        held.save(update_fields=["submitted_at"])
    return now


def submit(*, session: TestSession, code: Code, take_run: Callable[[], None]) -> dict[str, Any]:
    """Run every test of the open question on the code and keep the outcome: the next
    question is handed out, or the session completes (and its webhook is enqueued). A
    run that never happened (refused, no sandbox) leaves everything as it was."""
    question = _open_question(session, code)
    exercise = question.exercise
    assert exercise is not None
    files = _files(question, language=session.language, code=code)
    cases = grading.cases_of(exercise)
    submitted_at = _claim(question)
    try:
        take_run()
        grade = _grade(key_id=session.api_key_id, language=session.language, files=files, cases=cases, which="all")
    except BaseException:
        TestSessionQuestion.objects.filter(pk=question.pk, submitted_at=submitted_at).update(submitted_at=None)
        raise
    following, delivery = _record(question=question, files=files, grade=grade)
    if delivery is not None:
        deliver_soon(delivery.pk)
    session.refresh_from_db()
    return {
        "question_number": question.number,
        **grade_answer(grade, exercise=exercise, language=session.language, files=files),
        "next_question": question_view(following, language=session.language) if following else None,
        "next_question_number": following.number if following else None,
        "total_questions": session.questions.count(),
        "complete": session.state == TestSession.State.COMPLETE,
    }  # fmt: skip


def _record(*, question: TestSessionQuestion, files: Sequence[tuple[str, str]],
            grade: grading.Grade) -> tuple[TestSessionQuestion | None, WebhookDelivery | None]:  # fmt: skip
    now = timezone.now()
    delivery = None
    with transaction.atomic():
        session = TestSession.objects.select_for_update().select_related("api_key").get(pk=question.session_id)
        graded = TestSessionQuestion.objects.select_for_update().get(pk=question.pk)
        graded.status, graded.score, graded.max_score = grade.status, grade.score, grade.max_score
        graded.passed = grade.status == "graded" and grade.all_passed
        graded.files = [{"name": name, "content": content} for name, content in files]
        graded.results, graded.graded_at = grade.as_dict(for_student=False), now
        graded.save()
        following = (session.questions.select_related("exercise").filter(number__gt=graded.number)
                     .order_by("number").first())  # fmt: skip
        if following is not None:
            following.handed_out_at = now
            following.save(update_fields=["handed_out_at"])
        else:
            session.state, session.completed_at = TestSession.State.COMPLETE, now
            session.save(update_fields=["state", "completed_at"])
            if session.api_key.webhook_url:
                body = json.dumps({"event": COMPLETED_EVENT, "test_session": report(session)})
                delivery = webhooks.enqueue(event=COMPLETED_EVENT, url=session.api_key.webhook_url, body=body,
                                            api_key=session.api_key, method="POST")  # fmt: skip
    return following, delivery


def deliver_soon(delivery_id: int) -> None:
    """Try the webhook now on the server's loop, not holding up the answer; with no server
    loop (a command, a test) the sweeper or `manage.py deliver_webhooks` delivers it."""
    loop = from_sync._server_loop()
    if loop is None or not loop.is_running():
        return
    background.start(lambda: key_webhooks.try_now(delivery_id))
