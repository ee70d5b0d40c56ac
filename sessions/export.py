"""Streamed zip downloads: a whole session (one folder per student, CSVs of the
participants and their runs) or one participant's files.

zipfile writes into a non-seekable sink (it then uses data descriptors), and the
generator hands out what accumulated after each file, so memory stays at about one
file plus one batch of CSV rows however large the session is.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import IO, Any, cast

from asgiref.sync import sync_to_async
from django.db.models import Count, Q
from django.utils import timezone

from coding.error_lines import failure_line
from coding.models import Execution
from sessions import analytics, selectors
from sessions.models import ClassSession, Document, Participant
from sessions.selectors import ERROR_STATUSES

_FLUSH_BYTES = 64 * 1024
_RUN_BATCH = 1000
# Cells a spreadsheet would evaluate as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Sink:
    """A write-only, non-seekable file object collecting what zipfile writes."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.size = 0
        return data


Entry = tuple[str, Iterable[bytes], datetime]


def zip_stream(entries: Iterable[Entry]) -> Iterator[bytes]:
    """Yield a zip archive of `entries` (name, chunks, modification time) piece by piece."""
    sink = _Sink()
    with zipfile.ZipFile(cast(IO[bytes], sink), mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks, modified in entries:
            info = zipfile.ZipInfo(name, date_time=timezone.localtime(modified).timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, mode="w") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    if sink.size >= _FLUSH_BYTES:
                        yield sink.take()
            if sink.size:
                yield sink.take()
    yield sink.take()


async def streamed_async(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The same stream for ASGI servers: each step runs in the sync thread (the ORM's)."""
    def step() -> bytes | None:
        return next(chunks, None)

    while (chunk := await sync_to_async(step, thread_sensitive=True)()) is not None:
        yield chunk


# --- names -------------------------------------------------------------------------------


def safe_folder(name: str) -> str:
    """A display name as a folder name: no separators, control characters or leading dots."""
    cleaned = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    cleaned = re.sub(r'[/\\:*?"<>|]+', "_", cleaned).strip().lstrip(".").strip()
    return cleaned[:80] or "student"


def unique_folders(participants: Iterable[Participant]) -> dict[Any, str]:
    """One folder per participant; namesakes become "Alex", "Alex (2)", ..."""
    folders: dict[Any, str] = {}
    taken: set[str] = set()
    for participant in participants:
        base = safe_folder(participant.display_name)
        folder, number = base, 1
        while folder.lower() in taken:
            number += 1
            folder = f"{base} ({number})"
        taken.add(folder.lower())
        folders[participant.pk] = folder
    return folders


def download_name(title: str) -> str:
    """A plain ASCII file name for Content-Disposition."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_title).strip("-").lower()
    return f"{slug[:60] or 'session'}.zip"


# --- files ---------------------------------------------------------------------------------


def _file_entries(documents: list[Document], folder: str = "") -> Iterator[Entry]:
    for document in selectors.with_current_text(documents):
        path = f"{folder}/{document.name}" if folder else document.name
        yield path, [selectors.current_text_of(document).encode("utf-8")], document.updated_at


def participant_zip(*, participant: Participant) -> Iterator[bytes]:
    return zip_stream(_file_entries(list(selectors.documents_of(participant=participant))))


# --- the whole session -------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def _csv(rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        if buffer.tell() >= _FLUSH_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


PARTICIPANT_COLUMNS = [
    "participant_id", "display_name", "username", "is_guest", "joined_at", "removed_at", "folder",
    "files", "active_seconds", "chars_typed", "runs", "failed_runs", "last_error", "help_requests",
]  # fmt: skip
RUN_COLUMNS = [
    "run_id", "participant_id", "display_name", "language", "entry", "status", "exit_code",
    "wall_ms", "cpu_ms", "peak_memory_kb", "output_bytes", "created_at", "finished_at", "message", "error",
]  # fmt: skip


def _participant_rows(
    session: ClassSession, participants: Sequence[Participant], folders: dict[Any, str]
) -> Iterator[list[Any]]:
    yield PARTICIPANT_COLUMNS
    figures = {s["participant_id"]: s for s in analytics.session_analytics(session=session)["students"]}
    for p in participants:
        f = figures[p.pk]
        yield [
            p.pk, p.display_name, p.user.username if p.user else "", p.is_guest, p.joined_at, p.removed_at,
            folders[p.pk], p.file_count, f["active_seconds"], f["chars_typed"], f["runs"], f["failed_runs"],  # type: ignore[attr-defined]
            f["last_error"], f["help_requests"],
        ]  # fmt: skip


def _run_rows(session: ClassSession, names: dict[Any, str]) -> Iterator[list[Any]]:
    """Every run of the session's participants, oldest first, fetched in keyset batches."""
    yield RUN_COLUMNS
    runs = Execution.objects.filter(participant__session=session).order_by("created_at", "id")
    fields = [c for c in RUN_COLUMNS if c not in ("run_id", "display_name", "error")]
    after: tuple[datetime, Any] | None = None
    while True:
        batch = runs
        if after is not None:
            batch = runs.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], id__gt=after[1]))
        rows = list(batch.values("id", "output_tail", *fields)[:_RUN_BATCH])
        for row in rows:
            error = failure_line(status=row["status"], message=row["message"], output_tail=row["output_tail"],
                                 language=row["language"]) if row["status"] in ERROR_STATUSES else ""
            yield [row["id"], row["participant_id"], names.get(row["participant_id"], ""),
                   *(row[c] for c in fields if c != "participant_id"), error]  # fmt: skip
        if len(rows) < _RUN_BATCH:
            return
        after = (rows[-1]["created_at"], rows[-1]["id"])


def _session_info(session: ClassSession) -> bytes:
    info = {
        "id": str(session.pk), "title": session.title, "language": session.language, "state": session.state,
        "teacher": session.teacher.name, "created_at": session.created_at.isoformat(),
        "started_at": session.started_at.isoformat() if session.started_at else None,
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "instructions": session.instructions, "starter_files": session.starter_files,
        "exported_at": timezone.now().isoformat(),
    }  # fmt: skip
    return json.dumps(info, indent=2, ensure_ascii=False).encode("utf-8")


# Apps that keep records of a session add them to its zip here (in their AppConfig.ready),
# since sessions imports no app that builds on it.
SESSION_EXTRAS: list[Callable[[ClassSession], Iterator[Entry]]] = []


def _session_entries(session: ClassSession) -> Iterator[Entry]:
    now = timezone.now()
    participants = list(
        Participant.objects.filter(session=session)
        .select_related("user")
        .annotate(file_count=Count("documents", filter=Q(documents__deleted_at__isnull=True)))
        .order_by("joined_at")
    )
    folders = unique_folders(participants)
    yield "session.json", [_session_info(session)], now
    yield "participants.csv", _csv(_participant_rows(session, participants, folders)), now
    yield "runs.csv", _csv(_run_rows(session, {p.pk: p.display_name for p in participants})), now
    for contribute in SESSION_EXTRAS:  # other apps' records of the session (AI help's log)
        yield from contribute(session)
    for participant in participants:  # one query per student: memory stays bounded
        yield from _file_entries(list(selectors.documents_of(participant=participant)), folders[participant.pk])


def session_zip(*, session: ClassSession) -> Iterator[bytes]:
    return zip_stream(_session_entries(session))
