"""Interactive (terminal) runs on the podman backend, in every language.

Needs the one-time setup (``sh deploy/podman/setup.sh`` as root).
"""

from __future__ import annotations

import asyncio

import pytest

from coding import runner
from coding.languages import LANGUAGES
from coding.sandbox.base import Status
from tests.coding.sandbox_support import ASK_NAME, RunTracker, Screen

pytestmark = [pytest.mark.podman, pytest.mark.timeout(120)]


async def test_it_runs_an_interactive_dialogue(podman: RunTracker) -> None:
    source = ("name = input('name? ')\nprint('hi', name)\ntry:\n    print('waiting', flush=True)\n"
              "    input()\nexcept KeyboardInterrupt:\n    print('interrupted')\n")
    run = await runner.start_interactive(language="python", files=[("main.py", source)])
    text = b""
    chunks = run.output().__aiter__()
    while b"name? " not in text:
        text += await asyncio.wait_for(chunks.__anext__(), 20)
    run.write(b"Ada\r")
    while b"waiting" not in text:
        text += await asyncio.wait_for(chunks.__anext__(), 20)
    run.interrupt()
    result = await asyncio.wait_for(run.wait(), 20)
    assert result.status == Status.OK, result
    assert result.stdout.count(b"Ada") == 2  # the terminal's echo, then the program's line
    assert result.stdout.rstrip().endswith(b"interrupted")


async def test_it_stops_a_run_and_removes_its_container(podman: RunTracker) -> None:
    run = await runner.start_interactive(language="python", files=[("main.py", "import time\ntime.sleep(60)\n")])
    await asyncio.sleep(1.5)
    result = await asyncio.wait_for(run.stop(), 30)
    assert result.status == Status.KILLED
    podman.assert_nothing_left()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
async def test_it_reads_a_line_interactively_in_every_language(podman: RunTracker, language: str) -> None:
    screen = await Screen.start(language, [ASK_NAME[language]])
    await screen.wait_for(b"name? ", timeout=60)
    screen.run.write(b"Kim\r")
    await screen.wait_for(b"hi Kim")
    result = await screen.result()
    assert result.status == Status.OK, result
    assert screen.text.count(b"Kim") == 2  # the terminal's echo, then the program's line
    podman.assert_nothing_left()
