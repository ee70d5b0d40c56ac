"""The run service (coding.runs) as a batch caller and a test use it: a sink of their
own, no socket, no session. The terminal socket's use of it is covered by the
test_consumers_* files."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from coding import limits, runs
from coding.models import Execution
from observer import contract

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fake_sandbox(settings: Any) -> None:
    settings.SANDBOX_BACKEND = "fake"
    settings.RUN_LIMITS = {"runs_per_window": 3, "max_concurrent": 1, "queue_poll_seconds": 0.05}
    limits._slots = None  # a fresh in-memory queue for each test


class Sink:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.out = bytearray()
        self.errors: list[tuple[str, str, dict[str, Any]]] = []

    def status(self, frame: contract.TerminalStatus) -> None:
        self.frames.append(dict(frame))

    def output(self, data: bytes) -> None:
        self.out += data

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.errors.append((code, message, extra))

    def types(self) -> list[str]:
        return [frame["type"] for frame in self.frames]


class Files:
    """A file source that records what the service asked of it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[str] = []

    async def prepare(self) -> None:
        self.calls.append("prepare")

    async def read(self) -> list[tuple[str, str]]:
        self.calls.append("read")
        return [("main.py", self.text)]

    async def close(self) -> None:
        self.calls.append("close")


async def until(condition: Any, what: str, *sinks: Sink) -> None:
    """Wait (at most 20 s) for `condition()`; else fail saying what each sink heard."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    heard = [(sink.types(), [e[0] for e in sink.errors]) for sink in sinks]
    raise AssertionError(f"{what} did not happen; the sinks heard {heard}")


def spec(files: Any = (("main.py", 'print("hi")\n'),), *, key: str = "u:test", **fields: Any) -> runs.RunSpec:
    return runs.RunSpec(language="python", entry="main.py", files=files, principal=None, principal_key=key, **fields)


async def test_a_batch_run_gives_its_output_and_its_record() -> None:
    """The fake sandbox's batch run prints, then copies its stdin."""
    sink = Sink()
    outcome = await runs.run_to_end(spec(interactive=False, stdin=b"x"), sink)
    assert outcome.result is not None and outcome.result.stdout == b"hi\nx" and not outcome.refused
    assert sink.types() == ["started", "exit"] and sink.out == b""  # a batch run's output is in its result
    assert outcome.execution is not None
    assert sink.frames[0]["run_id"] == sink.frames[1]["run_id"] == str(outcome.execution.pk)
    row = await database_sync_to_async(Execution.objects.get)(pk=outcome.execution.pk)
    assert (row.status, row.interactive, row.output_tail, row.participant_id) == ("ok", False, "hi\nx", None)
    assert sink.frames[1]["status"] == "ok" and sink.frames[1]["exit_code"] == 0


async def test_an_interactive_run_streams_its_output_to_the_sink() -> None:
    sink = Sink()
    outcome = await runs.run_to_end(spec(note=b"a note\r\n"), sink)
    assert sink.out.startswith(b"a note\r\n") and b"hi" in sink.out
    assert sink.types() == ["started", "exit"] and outcome.execution is not None
    assert (await database_sync_to_async(Execution.objects.get)(pk=outcome.execution.pk)).interactive


async def test_files_are_made_ready_before_the_queue_read_at_the_start_and_closed() -> None:
    files = Files('print("fresh")\n')
    outcome = await runs.run_to_end(spec(files), Sink())
    assert files.calls == ["prepare", "read", "close"]
    assert outcome.execution is not None and "fresh" in outcome.execution.output_tail


async def test_files_are_closed_when_the_run_never_starts() -> None:
    files = Files("")
    for _ in range(3):
        await runs.run_to_end(spec(key="u:busy"), Sink())
    sink = Sink()
    outcome = await runs.run_to_end(spec(files, key="u:busy"), sink)
    assert outcome.refused == "rate_limited" and sink.errors[0][0] == "rate_limited"
    assert sink.errors[0][2]["retry_after"] >= 1
    assert files.calls[-1] == "close" and "read" not in files.calls


async def test_an_invalid_run_is_refused_and_costs_no_run() -> None:
    sink = Sink()
    outcome = await runs.run_to_end(spec((("main.py", "x"), ("../escape.py", "y"))), sink)
    assert outcome.refused == "invalid" and outcome.execution is None and sink.errors[0][0] == "invalid"
    assert limits.rate_peek(key="u:test").used == 0
    assert await database_sync_to_async(Execution.objects.count)() == 0


async def test_a_waiting_run_hears_its_place_and_may_be_withdrawn() -> None:
    held = Sink()
    holder = runs.Run(spec((("main.py", "# FAKE:loop\n"),), key="u:holder"), held).start()
    await until(lambda: holder.state == "running", "the holder's start", held)
    sink = Sink()
    waiting = runs.Run(spec(key="u:waiting"), sink).start()
    await until(lambda: "queued" in sink.types(), "the queued frame", sink)
    assert sink.frames[0] == {"type": "queued", "position": 1}
    waiting.command({"cmd": "stop"})
    outcome = await waiting.wait()
    assert outcome.execution is None and outcome.refused == "" and sink.types() == ["queued"]
    assert limits.rate_peek(key="u:waiting").used == 0  # withdrawn: given back
    holder.stop()
    ended = await holder.wait()
    assert ended.execution is not None and ended.execution.status == "killed"


async def test_commands_sent_before_the_start_reach_the_program() -> None:
    sink = Sink()
    run = runs.Run(spec((("main.py", "# FAKE:echo\n"),)), sink)
    run.write(b"typed ahead\n")
    run.command({"cmd": "eof"})
    run.start()
    outcome = await asyncio.wait_for(run.wait(), 10)
    assert b"typed ahead" in sink.out and outcome.execution is not None


async def test_a_run_ends_as_killed_when_stopped_and_the_row_says_so() -> None:
    sink = Sink()
    run = runs.Run(spec((("main.py", "# FAKE:loop\n"),)), sink).start()
    await until(lambda: "started" in sink.types(), "the start", sink)
    run.stop()
    outcome = await run.wait()
    assert outcome.execution is not None and outcome.execution.status == "killed"
    row = await database_sync_to_async(Execution.objects.get)(pk=uuid.UUID(sink.frames[0]["run_id"]))
    assert row.status == "killed" and row.finished_at is not None


async def test_a_systems_runs_queue_up_behind_each_other_instead_of_replacing() -> None:
    """An API key's submissions: one place in the queue at a time, none lost, none refused."""
    holder = runs.Run(spec((("main.py", "# FAKE:sleep=0.3\n"),), key="u:student"), Sink()).start()
    sinks = [Sink() for _ in range(3)]
    batch = [runs.Run(spec(key="k:integration", replaces=False), sink).start() for sink in sinks]
    outcomes = await asyncio.gather(*(run.wait() for run in batch))
    assert [o.execution.status if o.execution else o.refused for o in outcomes] == ["ok", "ok", "ok"]
    assert all(not sink.errors for sink in sinks)
    await holder.wait()


async def test_a_students_new_run_replaces_their_waiting_one(settings: Any) -> None:
    held = Sink()
    holder = runs.Run(spec((("main.py", "# FAKE:loop\n"),), key="u:holder"), held).start()
    await until(lambda: holder.state == "running", "the holder's start", held)
    first, second = Sink(), Sink()
    older = runs.Run(spec(key="u:student"), first).start()
    await until(lambda: "queued" in first.types(), "the queued frame", first)
    newer = runs.Run(spec(key="u:student"), second).start()
    outcome = await asyncio.wait_for(older.wait(), 10)
    assert outcome.execution is None and outcome.refused == ""  # its place went to the newer request
    holder.stop()
    assert (await newer.wait()).execution is not None
    await holder.wait()


async def test_a_principal_may_be_given_more_runs_at_once(settings: Any) -> None:
    settings.RUN_LIMITS = {"runs_per_window": 10, "max_concurrent": 4, "queue_poll_seconds": 0.05}
    sinks = [Sink(), Sink()]
    looping = [runs.Run(spec((("main.py", "# FAKE:loop\n"),), key="k:wide", replaces=False, concurrency=2),
                        sink).start() for sink in sinks]
    for run in looping:
        await until(lambda run=run: run.state == "running", "both starts", *sinks)
    assert limits.slots().running("k:wide") == 2
    for run in looping:
        run.stop()
        await run.wait()


async def test_a_batch_run_may_stream_its_stdout_as_it_comes() -> None:
    sink = Sink()
    outcome = await runs.run_to_end(spec(interactive=False, stdin=b"typed", stream_stdout=True), sink)
    assert bytes(sink.out) == b"hi\ntyped" and outcome.result is not None and outcome.result.stdout == b"hi\ntyped"


async def test_a_system_with_a_limit_of_its_own_is_not_counted_in_the_students_window() -> None:
    for _ in range(4):  # above the fixture's 3 runs per window
        outcome = await runs.run_to_end(spec(key="k:counted-elsewhere", counted=False, replaces=False), Sink())
        assert outcome.execution is not None
    assert limits.rate_peek(key="k:counted-elsewhere").used == 0


async def test_a_run_gets_its_command_line_arguments_last_on_its_argv() -> None:
    sink = Sink()
    outcome = await runs.run_to_end(spec((("main.py", "# FAKE:argv\n"),), interactive=False, args=("a b", "")), sink)
    assert outcome.result is not None and outcome.result.stdout.endswith(b"argv: main.py\nargv: a b\nargv: \n")


@pytest.mark.parametrize("args", [("x",) * 65, ("x" * 4097,), ("nul\0",), ("y" * 4000,) * 5])
async def test_arguments_past_the_bounds_are_refused_and_cost_no_run(args: tuple[str, ...]) -> None:
    sink = Sink()
    outcome = await runs.run_to_end(spec(interactive=False, args=args), sink)
    assert outcome.refused == "invalid" and sink.errors[0][0] == "invalid"
    assert limits.rate_peek(key="u:test").used == 0


class StreamSink(Sink):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[tuple[str, bytes]] = []

    def output(self, data: bytes) -> None:
        self.heard.append(("stdout", data))

    def stderr(self, data: bytes) -> None:
        self.heard.append(("stderr", data))


async def test_a_batch_run_may_stream_its_stderr_after_the_stdout_before_it() -> None:
    sink = StreamSink()
    files = (("main.py", 'print("out")\n# FAKE:stderr=err\n'),)
    outcome = await runs.run_to_end(spec(files, interactive=False, stream_stdout=True, stream_stderr=True), sink)
    assert outcome.result is not None and outcome.result.stderr == b"err\n"
    assert sink.heard == [("stdout", b"out\n"), ("stderr", b"err\n")]


async def test_api_keys_runs_leave_the_classes_share_free(settings: Any, teacher: Any) -> None:
    from integrations import keys

    settings.RUN_LIMITS = {"runs_per_window": 10, "max_concurrent": 2, "reserved_for_classes": 1,
                           "queue_poll_seconds": 0.05}
    made = await database_sync_to_async(keys.key_create)(owner=teacher, actor=teacher, name="k", scopes=["execute"])
    loop = (("main.py", "# FAKE:loop\n"),)
    key_sinks = [Sink(), Sink()]
    key_runs = [runs.Run(spec(loop, key=f"k:{n}", replaces=False, counted=False, api_key_id=made.key.pk), sink).start()
                for n, sink in enumerate(key_sinks)]
    await until(lambda: any(run.state == "running" for run in key_runs), "a key's start", *key_sinks)
    await until(lambda: any("queued" in sink.types() for sink in key_sinks), "the other key's wait", *key_sinks)
    student = Sink()
    class_run = runs.Run(spec(key="u:student"), student).start()  # the free slot is the class's
    assert (await asyncio.wait_for(class_run.wait(), 10)).execution is not None
    assert "queued" not in student.types()
    assert sum(run.state == "running" for run in key_runs) == 1  # the other key's run still waits
    for run in key_runs:
        run.stop()
    await asyncio.gather(*(run.wait() for run in key_runs))
