"""Recording who did what, from any app: `audit_record(action=..., actor=..., ...)`.

The monitoring app keeps the audit log and registers its recorder here when it starts
(MonitoringConfig.ready), so the apps that record (accounts, sessions) and this base
package depend on no app; monitoring, which reads every app's records, sits above
them. An audit entry is never dropped quietly: with no recorder registered (the
monitoring app not installed) the entry goes to the log instead, and a recorder's
failure reaches the caller (the entry belongs to the caller's transaction).

Also here: the guests' names the audit log must forget (their labels) when the
classroom deletes the guests, through the same kind of hook.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

logger = logging.getLogger("observer.audit")


class Actor(Protocol):
    """Who did something, as the audit sees them. accounts.principals' `Principal` (a User
    or a GuestPrincipal) is one."""

    @property
    def pk(self) -> Any: ...  # the user's id; None for a guest (no user row)

    @property
    def username(self) -> str: ...

    @property
    def is_guest(self) -> bool: ...


class AuditRecorder(Protocol):
    def __call__(self, *, action: str, actor: Actor | None = ..., target: Any = ..., request: Any = ...,
                 details: dict[str, Any] | None = ...) -> object: ...


class LabelsForgetter(Protocol):
    def __call__(self, *, participant_ids: Sequence[Any], document_ids: Sequence[Any]) -> int: ...


_recorder: AuditRecorder | None = None
_forgetter: LabelsForgetter | None = None


def set_audit_recorder(recorder: AuditRecorder | None, *, forget: LabelsForgetter | None = None) -> None:
    global _recorder, _forgetter
    _recorder, _forgetter = recorder, forget


def audit_record(*, action: str, actor: Actor | None = None, target: Any = None, request: Any = None,
                 details: dict[str, Any] | None = None) -> None:
    if _recorder is None:
        logger.warning("audit %s actor=%s target=%s (no audit log installed)", action,
                       getattr(actor, "username", ""), target)
        return
    _recorder(action=action, actor=actor, target=target, request=request, details=details)


def audit_labels_forget(*, participant_ids: Sequence[Any], document_ids: Sequence[Any]) -> int:
    """Deleted guests and their files: the audit log keeps its entries about them, with
    the ids, but no longer their names. Returns how many entries changed."""
    if _forgetter is None:
        return 0
    return _forgetter(participant_ids=participant_ids, document_ids=document_ids)
