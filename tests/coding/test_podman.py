"""The podman backend on this machine: languages, interactive, and hostile programs.

Needs the one-time setup (``sh deploy/podman/setup.sh`` as root).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import subprocess
from collections.abc import Iterator

import pytest

from coding import runner
from coding.languages import LANGUAGES
from coding.sandbox import get_backend
from coding.sandbox.base import Status
from coding.sandbox.podman import PodmanBackend, podman_env
from tests.coding.conftest import FAST_COMPILE
from tests.coding.sandbox_support import (
    Canary,
    RunTracker,
    assert_unharmed,
    processes_mentioning,
    quick_limits,
)

pytestmark = [pytest.mark.podman, pytest.mark.timeout(120)]


@pytest.fixture
def podman(settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunTracker]:
    settings.SANDBOX_BACKEND = "podman"  # type: ignore[attr-defined]
    settings.SANDBOX_COMPILE_LIMITS = FAST_COMPILE  # type: ignore[attr-defined]
    backend = get_backend("podman")
    tracker = RunTracker()
    tracker.install(backend, monkeypatch)
    yield tracker
    assert all(not name.startswith("observer-run-") for name in containers()), "container left"


def containers() -> list[str]:
    assert isinstance(get_backend("podman"), PodmanBackend)
    listing = subprocess.run(["podman", "ps", "-a", "--format", "{{.Names}}"], env=podman_env(),
                             capture_output=True, check=True)
    return listing.stdout.decode().split()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
async def test_it_runs_hello_world(podman: RunTracker, language: str) -> None:
    lang = LANGUAGES[language]
    result = await runner.run_batch(language=language, files=[(lang.entry_name, lang.hello)])
    assert result.status == Status.OK, result
    assert result.stdout == b"Hello, world!\n"
    podman.assert_nothing_left()


async def test_it_feeds_stdin_and_reports_errors(podman: RunTracker) -> None:
    source = "import sys\nprint(sys.stdin.read().upper(), end='')\nraise SystemExit(3)\n"
    result = await runner.run_batch(language="python", files=[("main.py", source)], stdin=b"abc")
    assert (result.status, result.exit_code, result.stdout) == (Status.RUNTIME_ERROR, 3, b"ABC")
    broken = await runner.run_batch(language="c", files=[("main.c", "int main(void){return x;}")])
    assert broken.status == Status.COMPILE_ERROR
    assert "'x' undeclared" in broken.message.replace("\u2018", "'").replace("\u2019", "'")


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


async def test_it_contains_a_memory_bomb(podman: RunTracker, canary: Canary) -> None:
    source = "blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))\n"
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits(memory_bytes=96 * 1024 * 1024))
    assert result.status == Status.MEMORY_LIMIT, result
    await assert_unharmed(podman, canary)


async def test_it_contains_a_fork_bomb_and_a_daemon(podman: RunTracker, canary: Canary) -> None:
    token = f"observer-daemon-{secrets.token_hex(4)}"
    source = (
        "import os\n"
        "if os.fork() == 0:\n    os.setsid()\n"
        f"    os.execv('/usr/bin/sleep', [{token!r}, '300'])\n"
        "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits(wall_seconds=3.0))
    assert result.status == Status.TIMEOUT, result
    await assert_unharmed(podman, canary, token=token)
    assert processes_mentioning(token) == []


async def test_it_cuts_a_flood_and_has_no_network_or_host_files(podman: RunTracker, canary: Canary) -> None:
    flood = "import sys\nwhile True:\n    sys.stdout.buffer.write(b'x' * 1048576)\n"
    result = await runner.run_batch(language="python", files=[("main.py", flood)])
    assert result.status == Status.OUTPUT_LIMIT
    assert len(result.stdout) == 1024 * 1024
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    probe = (
        "import os, socket\nfor attempt in (\n"
        f"    lambda: socket.create_connection(('127.0.0.1', {port}), timeout=2),\n"
        "    lambda: socket.create_connection(('1.1.1.1', 53), timeout=2),\n"
        f"    lambda: open({str(canary.path)!r}).read(),\n"
        "    lambda: open('/etc/shadow').read(),\n"
        "    lambda: open('/usr/probe', 'w'),\n"
        "):\n    try:\n        attempt()\n        print('ok')\n    except OSError:\n        print('blocked')\n"
        "print(os.getuid(), sorted(os.environ))\n"
    )
    try:
        result = await runner.run_batch(language="python", files=[("main.py", probe)])
    finally:
        listener.close()
    lines = result.stdout.decode().splitlines()
    assert lines[:5] == ["blocked"] * 5, result
    assert lines[5].startswith("65534 ")
    await assert_unharmed(podman, canary)


async def test_it_runs_concurrent_containers_under_distinct_names(podman: RunTracker) -> None:
    files = [("main.py", "import time\ntime.sleep(0.5)\nprint('done')\n")]
    results = await asyncio.gather(*(runner.run_batch(language="python", files=files) for _ in range(2)))
    assert [r.status for r in results] == [Status.OK, Status.OK], results
    names = [getattr(step, "name", "") for step in podman.steps]
    assert len(set(names)) == 2 and all(n.startswith("observer-run-") for n in names)
    podman.assert_nothing_left()
