"""The fake backend: the runner's protocol without executing anything."""

from __future__ import annotations

import asyncio

import pytest

from coding import runner
from coding.sandbox.base import Status
from coding.sandbox.fake import printed_lines

pytestmark = pytest.mark.usefixtures("fake_sandbox")


def test_it_prints_the_string_literals_of_every_hello_world() -> None:
    from coding.languages import LANGUAGES

    for language in LANGUAGES.values():
        assert printed_lines(language.hello) == ["Hello, world!\n"], language.name
    assert printed_lines("x = 1") == ["fake run\n"]


async def test_it_runs_a_batch_and_echoes_stdin() -> None:
    result = await runner.run_batch(
        language="python", files=[("main.py", 'print("hi")\nprint("there")\n')], stdin=b"abc"
    )
    assert result.status == Status.OK
    assert result.stdout == b"hi\nthere\nabc"
    assert (result.exit_code, result.cpu_ms, result.peak_memory_kb) == (0, 1, 1024)


async def test_it_reports_exit_codes_and_stderr() -> None:
    result = await runner.run_batch(
        language="python", files=[("main.py", "FAKE:exit=3 FAKE:stderr=oops")]
    )
    assert result.status == Status.RUNTIME_ERROR
    assert result.exit_code == 3
    assert result.stderr == b"oops\nexiting with 3\n"


async def test_it_fails_compilation_of_compiled_languages() -> None:
    result = await runner.run_batch(language="cpp", files=[("main.cpp", "FAKE:compile-error")])
    assert result.status == Status.COMPILE_ERROR
    assert "fake compile error" in result.message


@pytest.mark.parametrize(
    ("directive", "status"),
    [("FAKE:flood", Status.OUTPUT_LIMIT), ("FAKE:memory", Status.MEMORY_LIMIT),
     ("FAKE:loop", Status.TIMEOUT)],
)
async def test_it_ends_with_the_status_of_each_directive(directive: str, status: Status) -> None:
    limits = runner.default_limits("python").replace(wall_seconds=0.2)
    result = await runner.run_batch(language="python", files=[("main.py", directive)], limits=limits)
    assert result.status == status


async def test_it_streams_an_interactive_run_and_honours_interrupt() -> None:
    run = await runner.start_interactive(language="java", files=[
        ("Main.java", 'FAKE:loop System.out.println("ready");')
    ])
    chunks = run.output().__aiter__()
    assert await chunks.__anext__() == b"ready\r\n"
    assert run.phase == "running"
    run.write(b"typed\n")
    assert await chunks.__anext__() == b"typed\r\n"
    run.interrupt()
    result = await run.wait()
    assert result.status == Status.RUNTIME_ERROR
    assert result.signal == 2
    assert result.stdout == b"ready\r\ntyped\r\n"
    assert run.phase == "finished"


async def test_it_delivers_type_ahead_and_eof_to_an_input_program() -> None:
    run = await runner.start_interactive(language="python", files=[("main.py", "input()")])
    run.write(b"a\n")
    run.eof()
    result = await asyncio.wait_for(run.wait(), 5)
    assert result.status == Status.OK
    assert result.stdout == b"fake run\r\na\r\n"


async def test_it_stops_a_looping_interactive_run() -> None:
    run = await runner.start_interactive(language="python", files=[("main.py", "FAKE:loop")])
    await asyncio.sleep(0.01)
    result = await run.stop()
    assert result.status == Status.KILLED
    assert [chunk async for chunk in run.output()] == [b"fake run\r\n"]


async def test_it_times_out_an_idle_interactive_run() -> None:
    limits = runner.default_limits("python", interactive=True).replace(idle_seconds=0.1)
    run = await runner.start_interactive(language="python", files=[("main.py", "FAKE:loop")],
                                         limits=limits)
    result = await asyncio.wait_for(run.wait(), 5)
    assert result.status == Status.TIMEOUT
    assert "no input or output" in result.message


async def test_it_reports_the_fake_backend_as_available() -> None:
    status = runner.backend_status()
    assert status == {"backend": "fake", "available": True, "cgroup_mode": "none",
                      "message": "fake backend: nothing is executed (tests only)", "protections": []}
