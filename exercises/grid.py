"""The teacher's view of a session's exercises: the grid (students × exercises, each
cell the latest Submit and the score that counts), per-exercise statistics and
grades.csv. Reads only; a bounded number of queries per session."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from exercises.classroom import counted, links_of
from exercises.models import SessionExercise, Submission, SubmissionKind
from sessions.models import ClassSession, Participant

# Cells a spreadsheet would evaluate as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _submits(session: ClassSession) -> dict[tuple[Any, Any], list[Submission]]:
    by_cell: dict[tuple[Any, Any], list[Submission]] = defaultdict(list)
    for submission in Submission.objects.filter(link__session=session, kind=SubmissionKind.SUBMIT).defer(
            "files").order_by("created_at"):  # fmt: skip
        by_cell[(submission.participant_id, submission.link_id)].append(submission)
    return by_cell


def _max_scores(links: list[SessionExercise]) -> dict[Any, int]:
    return {link.pk: sum(t.weight for t in link.exercise.tests.all()) for link in links}


def grid(*, session: ClassSession) -> dict[str, Any]:
    links = list(links_of(session=session).prefetch_related("exercise__tests"))
    participants = list(Participant.objects.filter(session=session).order_by("joined_at"))
    cells = _submits(session)
    maxima = _max_scores(links)
    rows: list[dict[str, Any]] = []
    for participant in participants:
        row_cells: dict[str, Any] = {}
        total = failing = 0
        for link in links:
            submissions = cells.get((participant.pk, link.pk), [])
            latest = submissions[-1] if submissions else None
            chosen = counted(link, submissions)
            if latest is not None and not latest.passed:
                failing += 1
            total += chosen.score if chosen else 0
            row_cells[str(link.pk)] = None if latest is None else {
                "submission_id": str(latest.pk), "status": latest.status, "score": latest.score,
                "max_score": latest.max_score, "passed": latest.passed, "late": latest.late,
                "counted_score": chosen.score if chosen else None, "attempts": len(submissions),
            }  # fmt: skip
        rows.append({"participant_id": str(participant.pk), "display_name": participant.display_name,
                     "removed": participant.removed_at is not None, "cells": row_cells, "total": total,
                     "failing": failing})  # fmt: skip
    # Needs attention first: the most failing exercises, then the lowest total.
    rows.sort(key=lambda r: (-int(r["failing"]), int(r["total"])))
    return {
        "exercises": [{"id": str(link.pk), "exercise_id": str(link.exercise_id), "title": link.exercise.title,
                       "order": link.order, "is_open": link.is_open, "policy": link.policy,
                       "max_score": maxima[link.pk], "stats": stats(link=link, cells=cells)}
                      for link in links],
        "rows": rows,
        "max_total": sum(maxima.values()),
    }  # fmt: skip


def _error_line(test: dict[str, Any]) -> str:
    for text in (test.get("stderr") or "", test.get("message") or ""):
        lines = [line.strip() for line in str(text).splitlines() if line.strip()]
        if lines:
            return lines[-1][:200]
    return str(test.get("status", ""))


def stats(*, link: SessionExercise, cells: dict[tuple[Any, Any], list[Submission]]) -> dict[str, Any]:
    """Over each student's latest Submit: how many pass each test, the test failed most
    and the error line seen most ("half the class fails test 4")."""
    latest = [subs[-1] for (_, link_id), subs in cells.items() if link_id == link.pk and subs]
    tests = list(link.exercise.tests.all())
    passes: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for submission in latest:
        for result in submission.results.get("tests", []):
            if result.get("passed"):
                passes[result["id"]] += 1
            else:
                failures[result["id"]] += 1
                errors[_error_line(result)] += 1
    names = {str(t.pk): t.name or f"test {i + 1}" for i, t in enumerate(tests)}
    worst = failures.most_common(1)
    line = errors.most_common(1)
    return {
        "submitted": len(latest),
        "passed_all": sum(1 for s in latest if s.passed),
        "tests": [{"id": str(t.pk), "name": names[str(t.pk)], "visibility": t.visibility,
                   "passed": passes[str(t.pk)], "failed": failures[str(t.pk)]} for t in tests],
        "most_failed_test": {"id": worst[0][0], "name": names.get(worst[0][0], ""), "failed": worst[0][1]}
        if worst else None,
        "most_common_error": {"line": line[0][0], "count": line[0][1]} if line else None,
    }  # fmt: skip


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def grades_rows(*, session: ClassSession) -> Iterator[list[Any]]:
    """grades.csv: one row per student, one column per exercise (the score that counts
    under the exercise's policy), then the total and the maximum."""
    data = grid(session=session)
    exercises = data["exercises"]
    yield ["participant_id", "display_name", *[f"{e['title']} (/{e['max_score']})" for e in exercises],
           "total", "max_total"]  # fmt: skip
    for row in sorted(data["rows"], key=lambda r: r["display_name"].lower()):
        scores = [(row["cells"].get(e["id"]) or {}).get("counted_score") for e in exercises]
        yield [row["participant_id"], row["display_name"], *scores, row["total"], data["max_total"]]


def grades_csv(*, session: ClassSession) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in grades_rows(session=session):
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def zip_entries(session: ClassSession) -> Iterator[tuple[str, Any, Any]]:
    """What the session's zip gains (sessions.export.SESSION_EXTRAS): grades.csv, every
    submission with its results, and the teacher's line comments. The zip is the
    teacher's: hidden tests' results are in it whole."""
    from exercises.classroom import dumps, feedback_view, teacher_view
    from exercises.models import Feedback

    if not SessionExercise.objects.filter(session=session).exists():
        return
    now = timezone.now()
    yield "grades.csv", [grades_csv(session=session)], now
    submissions = Submission.objects.filter(link__session=session).order_by("created_at")
    yield "submissions.json", [dumps([teacher_view(s) for s in submissions])], now
    feedback = Feedback.objects.filter(participant__session=session).select_related("author")
    yield "feedback.json", [dumps([feedback_view(f) for f in feedback])], now


def analytics(session: ClassSession) -> dict[str, Any] | None:
    """The session analytics' exercise figures (sessions.analytics.ANALYTICS_EXTRAS): per
    student the score that counts per exercise, the total and how many Submits; for the
    session the maximum, the Submits and how many students pass each exercise."""
    if not SessionExercise.objects.filter(session=session).exists():
        return None
    data = grid(session=session)
    students = {}
    for row in data["rows"]:
        cells = row["cells"]
        students[uuid.UUID(row["participant_id"])] = {
            "total": row["total"], "failing": row["failing"],
            "submissions": sum((cell or {}).get("attempts", 0) for cell in cells.values()),
            "scores": {link_id: (cell or {}).get("counted_score") for link_id, cell in cells.items()},
        }  # fmt: skip
    return {
        "session": {
            "max_total": data["max_total"],
            "submissions": sum(s["submissions"] for s in students.values()),
            "exercises": [
                {
                    "id": e["id"],
                    "title": e["title"],
                    "max_score": e["max_score"],
                    "submitted": e["stats"]["submitted"],
                    "passed_all": e["stats"]["passed_all"],
                }
                for e in data["exercises"]
            ],
        },  # fmt: skip
        "students": students,
    }
