"""Holding every test's frames to observer.contract (the conftest applies it to all tests).

Two places see everything the server sends: `ObserverConsumer.push` (every text frame
of every socket, whatever built it: a service's event, a document hub's preview, a
terminal's status frame from another process) and `sessions.events._send` (every
session event that a committed transaction broadcasts, also when no socket listens).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from observer import contract
from observer.wsbase import ObserverConsumer


class Violations(list[str]):
    def check(self, frame: object, *, socket: str, where: str) -> None:
        if socket not in contract.SOCKETS_BY_KIND:
            self.append(f"{where}: the {socket!r} socket sends JSON but observer.contract defines no frames for it")
            return
        self.extend(f"{where}: {problem}" for problem in contract.problems(frame, socket=socket))

    def check_text(self, text: str, *, socket: str, where: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            self.append(f"{where}: not JSON: {text[:200]!r}")
            return
        self.check(frame, socket=socket, where=where)


@contextmanager
def frames_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Violations]:
    import sessions.events

    violations = Violations()
    push, send = ObserverConsumer.push, sessions.events._send

    def checked_push(self: ObserverConsumer, data: bytes | str) -> None:
        if isinstance(data, str) and self.accepted and not self._closing:
            violations.check_text(data, socket=self.kind, where=f"{type(self).__name__} sent")
        push(self, data)

    def checked_send(group: str, event: Mapping[str, Any]) -> None:
        violations.check(event, socket="session", where=f"broadcast to {group}")
        send(group, event)  # type: ignore[arg-type]

    monkeypatch.setattr(ObserverConsumer, "push", checked_push)
    monkeypatch.setattr(sessions.events, "_send", checked_send)
    yield violations
