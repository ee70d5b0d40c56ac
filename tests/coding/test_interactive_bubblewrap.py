"""Interactive (PTY) runs on the real bubblewrap backend."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from coding import runner
from coding.sandbox import get_backend
from coding.sandbox.base import Status
from tests.coding.sandbox_support import ASK_NAME, RunTracker, Screen

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(60)]

CHAT = """\
import shutil, signal, sys
signal.signal(signal.SIGWINCH, lambda *a: print("resized", *shutil.get_terminal_size(), flush=True))
print("tty", sys.stdin.isatty(), *shutil.get_terminal_size(), flush=True)
name = input("name? ")
print("hello", name, flush=True)
try:
    while True:
        print("got", input(), flush=True)
except KeyboardInterrupt:
    print("interrupted")
except EOFError:
    print("eof")
"""


async def start(language: str, files: list[tuple[str, str]], **kwargs: object) -> Screen:
    return await Screen.start(language, files, **kwargs)


async def test_it_runs_a_dialogue_with_resize_and_ctrl_c(bwrap: RunTracker) -> None:
    screen = await start("python", [("main.py", CHAT)], rows=30, cols=100)
    await screen.wait_for(b"tty True 100 30\r\nname? ")
    assert screen.run.phase == "running"
    screen.run.write(b"Ada\r")
    await screen.wait_for(b"hello Ada\r\n")
    screen.run.resize(40, 120)
    await screen.wait_for(b"resized 120 40")
    screen.run.write(b"line\r")
    await screen.wait_for(b"got line\r\n")
    screen.run.interrupt()
    result = await screen.result()
    assert result.status == Status.OK, result
    assert screen.text.endswith(b"interrupted\r\n")
    assert result.stdout == screen.text
    assert screen.run.phase == "finished"
    bwrap.assert_nothing_left()


async def test_it_delivers_eof(bwrap: RunTracker) -> None:
    screen = await start("python", [("main.py", CHAT)])
    screen.run.write(b"Bob\n")  # typed ahead, before the program reads
    await screen.wait_for(b"hello Bob")
    screen.run.eof()
    result = await screen.result()
    assert result.status == Status.OK
    assert screen.text.endswith(b"eof\r\n")


async def test_it_kills_a_program_ctrl_c_does_not_stop(bwrap: RunTracker) -> None:
    source = "#include <stdio.h>\nint main(void){ puts(\"spinning\"); fflush(stdout); for(;;); }\n"
    screen = await start("c", [("main.c", source)])
    await screen.wait_for(b"spinning")
    screen.run.interrupt()  # no handler: SIGINT ends it
    result = await screen.result()
    assert result.status == Status.RUNTIME_ERROR, result
    assert result.signal == 2
    bwrap.assert_nothing_left()


async def test_ctrl_c_ends_a_program_even_when_the_server_ignores_it(bwrap: RunTracker) -> None:
    """An ignored signal survives exec: a server started with SIGINT ignored (a shell
    script's background job, nohup) gave every program SIGINT ignored, and a student's
    Ctrl+C did nothing until the CPU limit (seen in a CI trial). The launcher puts every
    signal back to its default before it execs the sandbox."""
    source = "#include <stdio.h>\nint main(void){ puts(\"spinning\"); fflush(stdout); for(;;); }\n"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        screen = await start("c", [("main.c", source)])
        await screen.wait_for(b"spinning")
        screen.run.interrupt()
        result = await screen.result()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (result.status, result.signal) == (Status.RUNTIME_ERROR, signal.SIGINT), result
    bwrap.assert_nothing_left()


async def test_it_stops_a_run_on_request(bwrap: RunTracker) -> None:
    screen = await start("python", [("main.py", "import time\nprint('up', flush=True)\ntime.sleep(60)\n")])
    await screen.wait_for(b"up")
    result = await asyncio.wait_for(screen.run.stop(), 10)
    await screen.task
    assert result.status == Status.KILLED
    assert result.message == "stopped"
    bwrap.assert_nothing_left()


async def test_it_streams_compile_output_then_the_program(bwrap: RunTracker) -> None:
    source = ("#include <stdio.h>\nint main(void){ int unused; char n[32];"
              " printf(\"who? \"); fflush(stdout); scanf(\"%31s\", n); printf(\"hi %s\\n\", n); }\n")
    screen = await start("c", [("main.c", source)])
    assert screen.run.phase == "compiling"
    screen.run.write(b"Zoe\n")
    await screen.wait_for(b"hi Zoe")
    result = await screen.result()
    assert result.status == Status.OK, result
    assert b"unused variable" in screen.text  # the compiler's warning came first
    assert screen.text.index(b"unused variable") < screen.text.index(b"who? ")


async def test_it_reports_an_interactive_compile_error(bwrap: RunTracker) -> None:
    screen = await start("cpp", [("main.cpp", "int main() { return missing; }\n")])
    result = await screen.result()
    assert result.status == Status.COMPILE_ERROR
    assert "missing" in result.message
    assert b"missing" in screen.text
    bwrap.assert_nothing_left()


async def test_it_times_out_an_idle_run(bwrap: RunTracker) -> None:
    limits = runner.default_limits("python", interactive=True).replace(idle_seconds=0.5)
    screen = await start("python", [("main.py", "input()\n")], limits=limits)
    result = await screen.result()
    assert result.status == Status.TIMEOUT
    assert result.message == "no input or output for 0.5 s"
    bwrap.assert_nothing_left()


async def test_it_times_out_a_chatty_run_at_the_total_limit(bwrap: RunTracker) -> None:
    limits = runner.default_limits("python", interactive=True).replace(wall_seconds=1.0,
                                                                       idle_seconds=0.5)
    source = "import time\nwhile True:\n    print('.', flush=True)\n    time.sleep(0.1)\n"
    screen = await start("python", [("main.py", source)], limits=limits)
    result = await screen.result()
    assert result.status == Status.TIMEOUT
    assert result.message == "time limit (1 s) exceeded"


async def test_it_caps_an_interactive_flood(bwrap: RunTracker) -> None:
    limits = runner.default_limits("python", interactive=True).replace(output_bytes=100_000)
    screen = await start("python", [("main.py", "while True:\n    print('x' * 1000)\n")], limits=limits)
    result = await screen.result()
    assert result.status == Status.OUTPUT_LIMIT
    assert len(screen.text) == 100_000
    bwrap.assert_nothing_left()


@pytest.mark.parametrize("language", ["javascript", "typescript", "cpp", "java"])
async def test_it_reads_a_line_interactively_in_other_languages(bwrap: RunTracker, language: str) -> None:
    screen = await start(language, [ASK_NAME[language]])
    await screen.wait_for(b"name? ", timeout=40)
    screen.run.write(b"Kim\r")
    await screen.wait_for(b"hi Kim")
    result = await screen.result()
    assert result.status == Status.OK, result
    assert screen.text.count(b"Kim") == 2  # the terminal's echo, then the program's line
    bwrap.assert_nothing_left()


async def test_it_does_not_mistake_typed_marker_text_for_running_out_of_memory(
    bwrap: RunTracker,
) -> None:
    # input() without a prompt: the terminal echoes the typing at the start of a line.
    for source, expected in (("input()\n", Status.OK),
                             ("input()\nraise SystemExit(1)\n", Status.RUNTIME_ERROR)):
        screen = await start("python", [("main.py", source)])
        screen.run.write(b"MemoryError\r")
        result = await screen.result()
        assert result.status == expected, (source, result)
        assert screen.text.startswith(b"MemoryError\r\n")
    bwrap.assert_nothing_left()


async def test_it_closes_every_descriptor_of_a_finished_run(bwrap: RunTracker, settings: object) -> None:
    settings.SANDBOX_WARM_POOL = 0  # type: ignore[attr-defined]  # idle sandboxes hold fds too
    await asyncio.to_thread(get_backend("bubblewrap").pool.drain)  # type: ignore[attr-defined]
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        screen = await start("python", [("main.py", "print('x')\n")])
        assert (await screen.result()).status == Status.OK
    assert len(os.listdir("/proc/self/fd")) == before
    bwrap.assert_nothing_left()
