"""A participant's files, and pushes from the teacher that never overwrite a student's work."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from rest_framework import exceptions

from accounts.models import User
from coding.languages import get_language
from observer import contract
from observer.audit import audit_record
from observer.errors import Conflict
from sessions import events, filenames, selectors
from sessions.authors import Author
from sessions.models import ClassSession, Document, DocumentUpdate, Participant
from sessions.services.common import check_size, check_total_size, require_not_ended, touch_session


def _writable(participant: Participant) -> None:
    require_not_ended(participant.session)
    if participant.removed_at is not None:
        raise Conflict("This student was removed from the session.")


def _name_taken(participant: Participant, name: str, *, exclude: uuid.UUID | None = None) -> bool:
    documents = Document.objects.filter(participant=participant, name=name, deleted_at__isnull=True)
    return documents.exclude(pk=exclude).exists() if exclude else documents.exists()


def _duplicate(name: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({"name": [f'There is already a file named "{name}".']})


def _audit_teacher_edit(author: Author, document: Document, action: str, request: Any) -> None:
    if author.is_teacher:
        audit_record(
            action="file.teacher_edit", actor=author.user, target=document, request=request,
            details={"participant_id": str(document.participant_id), "change": action},
        )  # fmt: skip


def document_create(
    *, participant: Participant, name: str, content: str = "", author: Author, request: Any = None
) -> Document:
    _writable(participant)
    check_size(content=content, language=participant.session.language)
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=participant.pk).first()  # serializes name checks
        total = selectors.files_size(participant=participant) + filenames.content_size(content)
        check_total_size(total=total, language=participant.session.language)
        if _name_taken(participant, name):
            raise _duplicate(name)
        if Document.objects.filter(participant=participant, deleted_at__isnull=True).count() >= filenames.max_files():
            raise exceptions.ValidationError({"name": [f"A student can have at most {filenames.max_files()} files."]})
        document = Document.objects.create(participant=participant, name=name, content=content, modified=bool(content))
        _audit_teacher_edit(author, document, "create", request)
        touch_session(participant.session, participant=author.participant)
    return document


def document_update(
    *, document: Document, participant: Participant, author: Author, name: str | None = None,
    content: str | None = None, request: Any = None,
) -> Document:  # fmt: skip
    """Rename and/or replace the text (recorded in the CRDT log as one edit)."""
    from sessions.live.crdt import replace_text

    _writable(participant)
    if content is not None:
        check_size(content=content, language=participant.session.language)
        total = selectors.files_size(participant=participant, exclude=document.pk) + filenames.content_size(content)
        check_total_size(total=total, language=participant.session.language)
    with transaction.atomic():
        if name is not None and name != document.name:
            Participant.objects.select_for_update().filter(pk=participant.pk).first()
            if _name_taken(participant, name, exclude=document.pk):
                raise _duplicate(name)
            document.name = name
            document.save(update_fields=["name", "updated_at"])
        if content is not None and content != selectors.current_text_of(document):
            replace_text(
                document=document, text=content, author_user=author.user, author_participant=author.participant
            )
            Document.objects.filter(pk=document.pk).update(modified=True)
        _audit_teacher_edit(author, document, "update", request)
        touch_session(participant.session, participant=author.participant)
    document.refresh_from_db()
    return selectors.with_current_text([document])[0]


def document_delete(*, document: Document, participant: Participant, author: Author, request: Any = None) -> None:
    """Soft delete: the file leaves the student's list; its history stays for replay."""
    _writable(participant)
    with transaction.atomic():
        document.deleted_at = timezone.now()
        document.save(update_fields=["deleted_at", "updated_at"])
        _audit_teacher_edit(author, document, "delete", request)
        events.broadcast_on_commit(
            groups=[events.session_group(participant.session_id, "teachers")],
            event=contract.FileDeleted(type="file.deleted", participant_id=str(participant.pk),
                                       document_id=str(document.pk), name=document.name),
        )  # a tile showing this file lets go of it


@dataclass
class PushResult:
    delivered: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _changed_by_student() -> Exists:
    """Durable proof a document is the student's work: an edit they authored is logged,
    or live edits are logged after its snapshot (the `modified` flag only follows with
    the next snapshot, up to 15 s later)."""
    return Exists(
        DocumentUpdate.objects.filter(document=OuterRef("pk")).filter(
            Q(author_participant=OuterRef("participant_id")) | Q(seq__gt=OuterRef("snapshot_seq"))
        )
    )


def file_push(
    *, session: ClassSession, teacher: User, name: str, content: str, participant_id: uuid.UUID | None = None
) -> PushResult:
    """Give students a file without overwriting their work: a new file; the same name
    replaced if they never changed it; else a clearly named copy beside theirs."""
    from sessions.live.crdt import replace_text
    from sessions.serializers import PushedFileSerializer

    require_not_ended(session)
    check_size(content=content, language=session.language)
    targets = Participant.objects.filter(session=session, removed_at__isnull=True)
    if participant_id is not None:
        targets = targets.filter(pk=participant_id)
        if not targets.exists():
            raise exceptions.ValidationError({"participant_id": ["No such student in this session."]})
    language = get_language(session.language)
    compiled = language.source_suffixes if language.compile else ()
    limit, size = filenames.max_content_bytes(session.language), filenames.content_size(content)
    result = PushResult()
    with transaction.atomic():
        target_ids = list(targets.select_for_update().values_list("pk", flat=True))
        names: dict[uuid.UUID, dict[str, Document]] = {pid: {} for pid in target_ids}
        documents = selectors.documents_of_many(participant_ids=target_ids).annotate(changed=_changed_by_student())
        for document in selectors.with_current_text(documents):
            names[document.participant_id][document.name] = document
        new_documents: list[Document] = []
        replaced: list[Document] = []
        for pid, target in _push_targets(name, names, compiled).items():
            theirs = names[pid]
            total = size + sum(filenames.content_size(selectors.current_text_of(d)) for d in theirs.values())
            if isinstance(target, Document):
                total -= filenames.content_size(selectors.current_text_of(target))
            if total > limit:
                result.skipped.append({"participant_id": pid, "reason": "files too large together"})
            elif isinstance(target, Document):
                replaced.append(target)
            elif len(theirs) >= filenames.max_files():
                result.skipped.append({"participant_id": pid, "reason": "too many files"})
            else:
                new_documents.append(Document(participant_id=pid, name=target, content=content))
        for document in replaced:
            replace_text(document=document, text=content, author_user=teacher)
        Document.objects.bulk_create(new_documents)
        for document in selectors.with_current_text([*replaced, *new_documents]):
            result.delivered.append({"participant_id": document.participant_id, "file_id": document.pk,
                                     "name": document.name})
            events.broadcast_on_commit(
                groups=[events.participant_group(document.participant_id)],
                event=contract.FilePushed(type="file.pushed",
                                          file=contract.PushedFile(dict(PushedFileSerializer(document).data))),
            )
        touch_session(session)
    return result


def _push_targets(
    name: str, names: dict[uuid.UUID, dict[str, Document]], compiled: tuple[str, ...]
) -> dict[uuid.UUID, Document | str]:
    """Per student, the file a push replaces or the name of a new one. A file open in a
    live editor counts as changed: its last second of typing may not be logged yet."""
    checked: set[uuid.UUID] = set()
    busy: set[uuid.UUID] = set()
    while True:
        targets = {pid: _push_target(name, theirs, compiled, busy) for pid, theirs in names.items()}
        unchecked = {t.pk for t in targets.values() if isinstance(t, Document)} - checked
        if not unchecked:
            return targets
        checked |= unchecked
        busy |= selectors.documents_in_live_editors(document_ids=unchecked)


def _push_target(
    name: str, theirs: dict[str, Document], compiled: tuple[str, ...], busy: set[uuid.UUID]
) -> Document | str:
    """The student's file a push replaces (one nobody changed), or the name of a new file."""
    for candidate in itertools.chain([name], filenames.copy_names(name, compiled_suffixes=compiled)):
        existing = theirs.get(candidate)
        if existing is None:
            return candidate
        if not (existing.modified or getattr(existing, "changed", False) or existing.pk in busy):
            return existing
    raise AssertionError("copy_names never ends")  # pragma: no cover
