"""The y-protocols wire format (as y-websocket speaks it): parsing with validation,
and the few messages the server builds."""

from __future__ import annotations

from dataclasses import dataclass

from pycrdt import write_var_uint

from observer import json_input

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2


class ProtocolError(ValueError):
    """The bytes are not a well-formed y-protocols message."""


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        value = shift = 0
        while True:
            if self.pos >= len(self.data):
                raise ProtocolError("truncated number")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value
            if shift > 63:
                raise ProtocolError("number too large")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError("truncated payload")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def done(self) -> bool:
        return self.pos >= len(self.data)


@dataclass(frozen=True)
class Message:
    kind: int  # MESSAGE_SYNC | MESSAGE_AWARENESS
    sync_type: int | None
    payload: bytes  # state vector (step 1), update (step 2 / update) or awareness update
    awareness: list[AwarenessEntry] | None = None  # the awareness update, parsed


def parse(data: bytes) -> Message:
    reader = Reader(data)
    kind = reader.var_uint()
    if kind == MESSAGE_SYNC:
        sync_type = reader.var_uint()
        if sync_type not in (SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE):
            raise ProtocolError(f"unknown sync message {sync_type}")
        payload = reader.var_bytes()
        entries = None
    elif kind == MESSAGE_AWARENESS:
        sync_type = None
        payload = reader.var_bytes()
        entries = parse_awareness(payload)
    else:
        raise ProtocolError(f"unknown message type {kind}")
    if not reader.done():
        raise ProtocolError("trailing bytes")
    return Message(kind, sync_type, payload, entries)


def sync_step1(state_vector: bytes) -> bytes:
    return bytes([MESSAGE_SYNC, SYNC_STEP1]) + write_var_uint(len(state_vector)) + state_vector


def sync_step2(update: bytes) -> bytes:
    return bytes([MESSAGE_SYNC, SYNC_STEP2]) + write_var_uint(len(update)) + update


def sync_update(update: bytes) -> bytes:
    return bytes([MESSAGE_SYNC, SYNC_UPDATE]) + write_var_uint(len(update)) + update


def awareness_message(update: bytes) -> bytes:
    return bytes([MESSAGE_AWARENESS]) + write_var_uint(len(update)) + update


# --- awareness -------------------------------------------------------------------------

AwarenessEntry = tuple[int, int, str]  # client id, clock, JSON state ("null" = gone)


def parse_awareness(update: bytes) -> list[AwarenessEntry]:
    reader = Reader(update)
    count = reader.var_uint()
    if count > 1000:
        raise ProtocolError("too many awareness states")
    entries = []
    for _ in range(count):
        client, clock = reader.var_uint(), reader.var_uint()
        try:
            state = reader.var_bytes().decode("utf-8")
            # Relayed to others and re-read to set the sender's name: too deep or not
            # text (a lone surrogate) would fail there, for every socket of the document.
            json_input.loads(state)
        except (UnicodeDecodeError, json_input.MalformedJSON) as exc:
            raise ProtocolError("awareness state is not JSON") from exc
        entries.append((client, clock, state))
    if not reader.done():
        raise ProtocolError("trailing bytes in awareness update")
    return entries


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    out = [write_var_uint(len(entries))]
    for client, clock, state in entries:
        raw = state.encode("utf-8")
        out += [write_var_uint(client), write_var_uint(clock), write_var_uint(len(raw)), raw]
    return b"".join(out)
