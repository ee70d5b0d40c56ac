"""Sessions: create, change, start (with a join code), end, reopen."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions

from accounts.models import User
from accounts.principals import Principal
from coding.languages import get_language
from observer.audit import audit_record
from observer.errors import Conflict
from sessions import filenames, joincodes
from sessions.models import ClassSession, SessionState
from sessions.services.common import broadcast_session, check_size, check_total_size

_CODE_ATTEMPTS = 20


def _check_starter_files(starter_files: list[dict[str, str]], language: str) -> None:
    """Every student gets them all: together they must fit in one run."""
    for starter in starter_files:
        check_size(content=starter["content"], language=language, field_name=f"starter_files {starter['name']}")
    total = sum(filenames.content_size(f["content"]) for f in starter_files)
    check_total_size(total=total, language=language, what="starter_files: the starter files")


def session_create(
    *,
    teacher: User,
    title: str,
    language: str,
    instructions: str = "",
    starter_files: list[dict[str, str]] | None = None,
    max_participants: int = 100,
    teacher_can_edit: bool = True,
    students_see_each_other: bool = False,
) -> ClassSession:
    """A new session in draft; starting it issues the join code."""
    language = get_language(language).name
    _check_starter_files(starter_files or [], language)
    return ClassSession.objects.create(
        teacher=teacher,
        title=title,
        language=language,
        instructions=instructions,
        starter_files=[{"name": f["name"], "content": f["content"]} for f in starter_files or []],
        max_participants=max_participants,
        teacher_can_edit=teacher_can_edit,
        students_see_each_other=students_see_each_other,
    )


def session_update(*, session: ClassSession, changes: dict[str, Any]) -> ClassSession:
    """Change a session's settings; starter files only affect students who join later."""
    if "language" in changes:
        changes["language"] = get_language(changes["language"]).name
    _check_starter_files(changes.get("starter_files", session.starter_files), changes.get("language", session.language))
    if "max_participants" in changes and session.state == SessionState.LIVE:
        present = session.participants.filter(removed_at__isnull=True).count()
        if changes["max_participants"] < present:
            raise exceptions.ValidationError(
                {"max_participants": [f"{present} students are already in this session."]}
            )
    if not changes:
        return session
    with transaction.atomic():
        for name, value in changes.items():
            setattr(session, name, value)
        session.last_activity_at = timezone.now()
        session.save(update_fields=[*changes, "last_activity_at"])
        broadcast_session(session)
    return session


def _save_with_new_code(session: ClassSession, *, keep_code: bool) -> None:
    """Save `session` as live under a code no other live session uses."""
    for attempt in range(_CODE_ATTEMPTS):
        if not (keep_code and attempt == 0 and session.join_code):
            session.join_code = joincodes.new_code()
        try:
            with transaction.atomic():
                session.save()
            return
        except IntegrityError:
            continue  # the code is taken by another live session: draw again
    raise Conflict("Could not find a free join code; try again.")


def _locked(session: ClassSession) -> ClassSession:
    """Inside a transaction: the session's row, locked and fresh, so two parallel state
    changes (a double click, two tabs) happen one after the other and the second sees
    the first (PostgreSQL; SQLite serialises writers anyway)."""
    return ClassSession.objects.select_for_update().get(pk=session.pk)


def session_start(*, session: ClassSession) -> ClassSession:
    with transaction.atomic():
        session = _locked(session)
        if session.state == SessionState.LIVE:
            return session  # a double click starts it once, with one code
        if session.state == SessionState.ENDED:
            raise Conflict("This session has ended; reopen it instead.")
        now = timezone.now()
        session.state, session.started_at, session.last_activity_at = SessionState.LIVE, now, now
        _save_with_new_code(session, keep_code=False)
        broadcast_session(session)
    return session


def session_end(
    *, session: ClassSession, actor: Principal | None = None, request: Any = None, reason: str = ""
) -> ClassSession:
    """Students become read-only and runs are refused; the code stays so that joining
    with it explains the session has ended."""
    with transaction.atomic():
        session = _locked(session)
        if session.state == SessionState.ENDED:
            return session
        session.state, session.ended_at = SessionState.ENDED, timezone.now()
        session.save(update_fields=["state", "ended_at"])
        audit_record(
            action="session.ended", actor=actor, target=session, request=request,
            details={"reason": reason} if reason else None,
        )  # fmt: skip
        broadcast_session(session)
    return session


def session_reopen(*, session: ClassSession) -> ClassSession:
    """Live again, under the old code unless another live session took it meanwhile."""
    with transaction.atomic():
        session = _locked(session)
        if session.state == SessionState.LIVE:
            return session
        if session.state == SessionState.DRAFT:
            raise Conflict("This session has not started yet; start it instead.")
        session.state, session.ended_at, session.last_activity_at = SessionState.LIVE, None, timezone.now()
        _save_with_new_code(session, keep_code=True)
        broadcast_session(session)
    return session
