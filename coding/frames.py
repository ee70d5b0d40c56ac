"""A run's frames: what the run service tells whoever watches a run, and the bytes
they travel as on a participant's terminal topic (`term:<participant id>`, see
sessions.terminal). One module encodes and decodes every kind:

  O + bytes           program output (to every terminal socket)
  J + JSON            a status frame: queued / started / phase / exit (to every terminal socket)
  C + JSON            a command: stop (optionally sparing one ticket), interrupt, eof, resize
  I + bytes           stdin
  W + token           a terminal socket that just connected asks the owner what is running
  T + token + frame   an answer to one socket only (token: 32 hex characters)

The status frames' JSON is the terminal socket's own text frames (docs/API.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from observer import contract

OUTPUT = b"O"
STATUS = b"J"
COMMAND = b"C"
INPUT = b"I"
WATCH = b"W"
DIRECT = b"T"
TOKEN_CHARS = 32

COMMANDS = ("stop", "interrupt", "eof", "resize")


def _json(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode()


# --- the status frames (their shapes: observer.contract, "/ws/terminal/") -----------------------


def queued(position: int) -> contract.TerminalQueued:
    return {"type": "queued", "position": position}


def started(*, run_id: str, language: str, entry: str) -> contract.TerminalStarted:
    return {"type": "started", "run_id": run_id, "language": language, "entry": entry}


def phase(name: Literal["compiling", "running"]) -> contract.TerminalPhase:
    return {"type": "phase", "phase": name}


def exit_(*, run_id: str, status: str, exit_code: int | None, signal: int | None, wall_ms: int | None,
          cpu_ms: int | None, peak_memory_kb: int | None, output_bytes: int | None,
          message: str) -> contract.TerminalExit:
    return {
        "type": "exit", "run_id": run_id, "status": status, "exit_code": exit_code, "signal": signal,
        "wall_ms": wall_ms, "cpu_ms": cpu_ms, "peak_memory_kb": peak_memory_kb, "output_bytes": output_bytes,
        "message": message,
    }


# --- encoding -----------------------------------------------------------------------------------


def output_frame(data: bytes) -> bytes:
    return OUTPUT + data


def status_frame(message: contract.TerminalStatus) -> bytes:
    return STATUS + _json(message)


def command_frame(cmd: str, **fields: Any) -> bytes:
    return COMMAND + _json({"cmd": cmd, **fields})


def input_frame(data: bytes) -> bytes:
    return INPUT + data


def watch_frame(token: str) -> bytes:
    return WATCH + _token(token)


def direct_frame(token: str, frame: bytes) -> bytes:
    return DIRECT + _token(token) + frame


def _token(token: str) -> bytes:
    raw = token.encode()
    if len(raw) != TOKEN_CHARS:
        raise ValueError(f"a socket token is {TOKEN_CHARS} characters")
    return raw


# --- decoding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    kind: bytes
    body: bytes
    token: str = ""  # for DIRECT (the one socket it is for) and WATCH (the asking socket)

    def command(self) -> dict[str, Any] | None:
        """A COMMAND's fields, or None when its JSON is not a command object."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) and value.get("cmd") in COMMANDS else None

    def status(self) -> str:
        return self.body.decode()


def decode(frame: bytes) -> Frame | None:
    """The frame, a DIRECT frame's inner frame carrying its token; None for what is not
    a frame of this protocol (a bad kind, a short token)."""
    kind, body = frame[:1], frame[1:]
    if kind == DIRECT:
        inner = body[TOKEN_CHARS:]
        if inner[:1] not in (OUTPUT, STATUS, COMMAND, INPUT):  # never a question or another answer
            return None
        inner_frame = decode(inner)
        if inner_frame is None:
            return None
        return Frame(inner_frame.kind, inner_frame.body, token=body[:TOKEN_CHARS].decode(errors="replace"))
    if kind == WATCH:
        return Frame(kind, b"", token=body.decode(errors="replace")) if len(body) == TOKEN_CHARS else None
    if kind in (OUTPUT, STATUS, COMMAND, INPUT):
        return Frame(kind, body)
    return None
