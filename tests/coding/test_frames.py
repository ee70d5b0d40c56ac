"""The run frames' protocol (coding.frames): every kind encodes and decodes, and what
is not a frame of it decodes to None instead of being taken for one."""

from __future__ import annotations

import pytest

from coding import frames

TOKEN = "a" * 32


@pytest.mark.parametrize(("encoded", "kind", "body"), [
    (frames.output_frame(b"\x1b[31mred\r\n"), frames.OUTPUT, b"\x1b[31mred\r\n"),
    (frames.status_frame(frames.queued(3)), frames.STATUS, b'{"type":"queued","position":3}'),
    (frames.input_frame(b"typed\n"), frames.INPUT, b"typed\n"),
    (frames.command_frame("resize", rows=30, cols=100), frames.COMMAND, b'{"cmd":"resize","rows":30,"cols":100}'),
])
def test_each_kind_round_trips(encoded: bytes, kind: bytes, body: bytes) -> None:
    frame = frames.decode(encoded)
    assert frame is not None and (frame.kind, frame.body, frame.token) == (kind, body, "")


def test_a_direct_frame_carries_its_socket_token_and_the_inner_frame() -> None:
    frame = frames.decode(frames.direct_frame(TOKEN, frames.status_frame(frames.phase("running"))))
    assert frame is not None and frame.kind == frames.STATUS and frame.token == TOKEN
    assert frame.status() == '{"type":"phase","phase":"running"}'


def test_a_watch_frame_carries_the_asking_socket() -> None:
    frame = frames.decode(frames.watch_frame(TOKEN))
    assert frame is not None and (frame.kind, frame.token) == (frames.WATCH, TOKEN)


@pytest.mark.parametrize("raw", [
    b"", b"Z hello", b"W" + b"a" * 31, b"T" + b"a" * 32, b"T" + b"a" * 5 + b"Ohi",
    b"T" + b"a" * 32 + b"W" + b"b" * 32,  # a direct answer never nests a question or another answer
    b"T" + b"a" * 32 + b"T" + b"b" * 32 + b"Ohi",
])
def test_what_is_not_a_frame_decodes_to_none(raw: bytes) -> None:
    assert frames.decode(raw) is None


@pytest.mark.parametrize(("body", "command"), [
    (b'{"cmd":"stop","spare":"x"}', {"cmd": "stop", "spare": "x"}),
    (b'{"cmd":"eof"}', {"cmd": "eof"}),
    (b'{"cmd":"format-disk"}', None),
    (b'["stop"]', None),
    (b"{not json", None),
])
def test_a_command_is_an_object_naming_a_known_command(body: bytes, command: dict[str, str] | None) -> None:
    frame = frames.decode(frames.COMMAND + body)
    assert frame is not None and frame.command() == command


def test_a_token_is_exactly_32_characters() -> None:
    with pytest.raises(ValueError):
        frames.watch_frame("short")


def test_the_exit_frame_has_every_field_of_a_finished_run() -> None:
    assert set(frames.exit_(run_id="r", status="ok", exit_code=0, signal=None, wall_ms=1, cpu_ms=1, peak_memory_kb=1,
                            output_bytes=2, message="")) == {
        "type", "run_id", "status", "exit_code", "signal", "wall_ms", "cpu_ms", "peak_memory_kb", "output_bytes",
        "message",
    }
