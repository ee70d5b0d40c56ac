"""Writes for classroom sessions: lifecycle, joining, files, pushes, help requests.

Every change a browser should see is broadcast after the transaction commits
(`sessions.events`). Text replacement of an existing document goes through the CRDT
(`sessions.live.crdt.replace_text`) so editors and the update log stay in step; new
documents only get `content`, and the live layer seeds their CRDT from it.
"""

from sessions.services.files import Author, PushResult, document_create, document_delete, document_update, file_push
from sessions.services.help import help_cancel, help_claim, help_raise, help_resolve
from sessions.services.housekeeping import guests_purge, sessions_end_idle
from sessions.services.joining import JoinResult, participant_remove, session_join
from sessions.services.lifecycle import session_create, session_end, session_reopen, session_start, session_update

__all__ = [
    "Author",
    "JoinResult",
    "PushResult",
    "document_create",
    "document_delete",
    "document_update",
    "file_push",
    "guests_purge",
    "help_cancel",
    "help_claim",
    "help_raise",
    "help_resolve",
    "participant_remove",
    "session_create",
    "session_end",
    "session_join",
    "session_reopen",
    "session_start",
    "session_update",
    "sessions_end_idle",
]
