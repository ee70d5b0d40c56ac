"""What a press of Run runs: which of the participant's files, which is the entry, and
the run service's spec for it (coding.runs)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from accounts.principals import Principal, principal_key
from coding.languages import Language, get_language
from coding.runs import Files, RunSpec
from observer.errors import SessionEnded
from sessions import filenames
from sessions.live.hub import DocumentHub
from sessions.live.registry import LiveRegistry
from sessions.models import Document, Participant, SessionState


class RunRefused(Exception):
    """The run cannot start; `code` is the error frame's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RunPlan:
    participant_id: uuid.UUID
    session_id: uuid.UUID
    user_id: uuid.UUID | None
    language: str
    documents: tuple[tuple[uuid.UUID, str], ...]  # (document id, file name), entry first
    entry: str
    # Files the run leaves out (names the sandbox cannot take), with why: (name, reason).
    left_out: tuple[tuple[str, str], ...] = ()


def run_plan(*, participant_id: uuid.UUID, file_ids: Sequence[str] | None, entry: str | None) -> RunPlan:
    """Which of the participant's files run, and which is the entry (or RunRefused, or
    SessionEnded). One query: the files with their participant and session."""
    documents = list(
        Document.objects.filter(participant_id=participant_id, deleted_at__isnull=True)
        .select_related("participant__session").order_by("created_at", "name")
    )
    participant = documents[0].participant if documents else (
        Participant.objects.select_related("session").get(pk=participant_id)
    )
    session = participant.session
    if session.state == SessionState.ENDED:
        raise SessionEnded("This session has ended; runs are closed.")
    if participant.removed_at is not None:
        raise RunRefused("forbidden", "You were removed from this session.")
    if file_ids is not None:
        wanted = {str(f) for f in file_ids}
        documents = [d for d in documents if str(d.pk) in wanted]
        if len(documents) != len(wanted):
            raise RunRefused("invalid", "Some of those files are not yours (or no longer exist).")
    if not documents:
        raise RunRefused("invalid", "There is no file to run.")
    language = get_language(session.language)
    entry = entry or _default_entry([d.name for d in documents], language)
    if entry not in {d.name for d in documents}:
        raise RunRefused("invalid", f"The entry file {entry!r} is not among the files to run.")
    # Names from before the one file-name rule: such a file cannot enter the sandbox, so
    # it stays out of the run instead of blocking every run (the terminal says so).
    problems = {d.name: problem for d in documents if (problem := filenames.name_problem(d.name))}
    if entry in problems:
        raise RunRefused("invalid", f'The file "{entry}" cannot run: {problems[entry]} Rename it, then run it again.')
    if not entry.endswith(language.source_suffixes):
        *most, last = language.source_suffixes
        kinds = f"{', '.join(most)} or {last}" if most else last
        raise RunRefused("invalid", f"This session runs {language.label}: only {kinds} files run, and {entry} is "
                         f"not one. Put the code to run in a {language.source_suffixes[0]} file.")
    documents = [d for d in documents if d.name not in problems]
    documents.sort(key=lambda d: d.name != entry)
    return RunPlan(
        participant_id=participant.pk, session_id=session.pk, user_id=participant.user_id,
        language=session.language, documents=tuple((d.pk, d.name) for d in documents), entry=entry,
        left_out=tuple(sorted(problems.items())),
    )


def _default_entry(names: list[str], language: Language) -> str:
    """The language's usual entry (main.py) if there, else the first of its files."""
    if language.entry_name in names:
        return language.entry_name
    return next((name for name in names if name.endswith(language.source_suffixes)), names[0])


def left_out_note(plan: RunPlan) -> bytes:
    """What the terminal says before the program's output about files the run left out."""
    lines = [f'"{name}" was left out of this run: {reason} Rename it to use it.' for name, reason in plan.left_out]
    return "".join(f"\x1b[2m{line}\x1b[0m\r\n" for line in lines).encode()


class LiveFiles:
    """The run's files as the live documents hold them: the documents are opened (loaded,
    in step with the other processes) while the run waits in the queue, and read when it
    starts, so their freshest text runs and a slot is not held while they load."""

    def __init__(self, registry: LiveRegistry, documents: tuple[tuple[uuid.UUID, str], ...]) -> None:
        self.registry = registry
        self.documents = documents
        self.hubs: list[DocumentHub] = []

    async def prepare(self) -> None:
        for document_id, _name in self.documents:
            self.hubs.append(await self.registry.open_document(document_id))

    async def read(self) -> Files:
        return [(name, hub.text) for (_id, name), hub in zip(self.documents, self.hubs, strict=True)]

    async def close(self) -> None:
        hubs, self.hubs = self.hubs, []
        for hub in hubs:
            self.registry.release_document(hub)


def run_spec(plan: RunPlan, *, principal: Principal, registry: LiveRegistry, rows: int, cols: int) -> RunSpec:
    """The run service's spec for a plan."""
    return RunSpec(
        language=plan.language, entry=plan.entry, files=LiveFiles(registry, plan.documents), principal=principal,
        principal_key=principal_key(principal), user_id=plan.user_id, participant_id=plan.participant_id,
        session_id=plan.session_id, note=left_out_note(plan), rows=rows, cols=cols,
    )
