"""What an archive holds: the files of a session (one folder per student, named as the
zip export names them) or of one student, with a README summing the session up."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from sessions import analytics, selectors
from sessions.export import SESSION_EXTRAS, safe_folder, unique_folders
from sessions.models import ClassSession, Participant

MARKER = ".observer/archive.json"  # says which session (and student) a repository archives



# Records the zip export holds but a repository must not: the exercises' submissions.json
# carries hidden tests' inputs and expected outputs (the teacher's zip may; a repository,
# which may be shared or made public later, may not). Scores stay: grades.csv.
NOT_ARCHIVED = frozenset({"submissions.json"})

def _date(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def _md(text: str) -> str:
    """A name in a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _files_of(participant: Participant) -> dict[str, str]:
    documents = selectors.with_current_text(list(selectors.documents_of(participant=participant)))
    return {document.name: selectors.current_text_of(document) for document in documents}


def session_files(*, session: ClassSession) -> dict[str, str]:
    participants = list(
        Participant.objects.filter(session=session)
        .annotate(file_count=Count("documents", filter=Q(documents__deleted_at__isnull=True)))
        .order_by("joined_at")
    )
    folders = unique_folders(participants)
    # Starter files and the statement sit beside the students' folders: a student named
    # "starter" gets another folder name.
    for pk, folder in list(folders.items()):
        if folder.lower() in {"readme.md", "statement.md", "starter", "records"}:
            folders[pk] = f"{folder} (student)"
    figures = {s["participant_id"]: s for s in analytics.session_analytics(session=session)["students"]}
    files: dict[str, str] = {}
    for participant in participants:
        for name, text in _files_of(participant).items():
            files[f"{folders[participant.pk]}/{name}"] = text
    for starter in session.starter_files or []:
        files[f"starter/{starter['name']}"] = starter.get("content", "")
    if session.instructions.strip():
        files["STATEMENT.md"] = session.instructions
    # What other apps add to the session's zip (exercises' grades.csv and submissions,
    # the AI help log): the archive holds what the export holds.
    records = []
    for contribute in SESSION_EXTRAS:
        for name, chunks, _modified in contribute(session):
            if name in NOT_ARCHIVED:
                continue
            try:
                files[f"records/{name}"] = b"".join(chunks).decode("utf-8")
            except UnicodeDecodeError:
                continue  # GitHub's blobs are text here; a binary record stays in the zip
            records.append(name)
    rows = []
    for participant in participants:
        figure = figures.get(participant.pk, {})
        rows.append(
            f"| [{_md(participant.display_name)}](<{folders[participant.pk]}/>) | {participant.file_count} "  # type: ignore[attr-defined]
            f"| {figure.get('runs', 0)} | {figure.get('failed_runs', 0)} | {figure.get('help_requests', 0)} |"
        )
    total_runs = sum(int(f.get("runs", 0)) for f in figures.values())
    lines = [
        f"# {session.title}",
        "",
        # No archive time here (the commit has it): an archive with nothing new changes nothing.
        "Archived from Observer.",
        "",
        f"- Language: {session.language}",
        f"- Started: {_date(session.started_at or session.created_at)}",
        f"- Ended: {_date(session.ended_at)}",
        f"- Teacher: {session.teacher.name}",
        f"- Students: {len(participants)}",
        f"- Runs: {total_runs}",
        "",
    ]
    if session.instructions.strip():
        lines += ["The statement is in [STATEMENT.md](STATEMENT.md).", ""]
    if session.starter_files:
        lines += ["The starter files are in [starter/](starter/).", ""]
    if records:
        lines += ["Exercises, scores and other records of the class are in [records/](records/): "
                  + ", ".join(f"[{name}](<records/{name}>)" for name in sorted(records)) + ".", ""]
    lines += ["## Students", "", "| Student | Files | Runs | Failed runs | Help requests |", "|---|---|---|---|---|"]
    lines += rows or ["| (nobody joined) | | | | |"]
    files["README.md"] = "\n".join(lines) + "\n"
    files[MARKER] = json.dumps({"session": str(session.pk), "kind": "session"}, indent=2) + "\n"
    return files


def student_files(*, participant: Participant) -> dict[str, str]:
    session = participant.session
    files = dict(_files_of(participant))
    for reserved in ("README.md", MARKER):
        if reserved in files:
            files[f"{safe_folder(participant.display_name)}-{reserved.replace('/', '-')}"] = files.pop(reserved)
    files["README.md"] = "\n".join([
        f"# {session.title}",
        "",
        f"My work in the Observer class \"{session.title}\" ({session.language}), "
        f"taught by {session.teacher.name}.",
        "",
        *(["## The statement", "", session.instructions, ""] if session.instructions.strip() else []),
    ]) + "\n"  # fmt: skip
    files[MARKER] = json.dumps(
        {"session": str(session.pk), "participant": str(participant.pk), "kind": "student"}, indent=2
    ) + "\n"
    return files
