"""The podman backend on this machine: languages, batch, and hostile programs.

Needs the one-time setup (``sh deploy/podman/setup.sh`` as root).
"""

from __future__ import annotations

import asyncio
import secrets
import socket

import pytest

from coding import runner
from coding.languages import LANGUAGES
from coding.sandbox.base import Status
from tests.coding.sandbox_support import (
    FORK_BOMB,
    Canary,
    RunTracker,
    assert_unharmed,
    forked,
    processes_mentioning,
    quick_limits,
)

pytestmark = [pytest.mark.podman, pytest.mark.timeout(120)]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
async def test_it_runs_hello_world(podman: RunTracker, language: str) -> None:
    lang = LANGUAGES[language]
    result = await runner.run_batch(language=language, files=[(lang.entry_name, lang.hello)])
    assert result.status == Status.OK, result
    assert result.stdout == b"Hello, world!\n"
    podman.assert_nothing_left()


async def test_it_passes_command_line_arguments_as_they_are(podman: RunTracker) -> None:
    args = ["two words", "", "$HOME", "`id`", "; exit 3"]  # the entry script's shell never sees them as code
    source = "import sys\nfor a in sys.argv[1:]: print(f'[{a}]')\n"
    result = await runner.run_batch(language="python", files=[("main.py", source)], args=args)
    assert result.status == Status.OK, result
    assert result.stdout.decode() == "".join(f"[{a}]\n" for a in args)


async def test_it_feeds_stdin_and_reports_errors(podman: RunTracker) -> None:
    source = "import sys\nprint(sys.stdin.read().upper(), end='')\nraise SystemExit(3)\n"
    result = await runner.run_batch(language="python", files=[("main.py", source)], stdin=b"abc")
    assert (result.status, result.exit_code, result.stdout) == (Status.RUNTIME_ERROR, 3, b"ABC")
    broken = await runner.run_batch(language="c", files=[("main.c", "int main(void){return x;}")])
    assert broken.status == Status.COMPILE_ERROR
    assert "'x' undeclared" in broken.message.replace("\u2018", "'").replace("\u2019", "'")


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
    ) + FORK_BOMB
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits(wall_seconds=3.0, max_processes=32))
    assert result.status == Status.TIMEOUT, result
    # conmon, catatonit, the program and the daemon count too.
    assert 32 - 10 <= forked(result) <= 32 - 4, result.stdout
    await assert_unharmed(podman, canary, token=token)
    assert processes_mentioning(token) == []


async def test_it_stops_a_cpu_burner_in_many_processes_by_total_cpu(podman: RunTracker) -> None:
    source = ("import os\nfor _ in range(6):\n    if os.fork() == 0:\n        break\n"
              "while True:\n    pass\n")
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits(wall_seconds=10.0, cpu_seconds=1.0))
    assert result.status == Status.TIMEOUT, result
    assert "CPU time limit" in result.message
    # Per-process RLIMIT_CPU alone would let the 7 processes spend ~7 s of CPU; the total
    # is stopped near 1 s. CPU time, unlike the wall time it takes, is what load cannot move.
    assert 1000 <= result.cpu_ms < 5000, result
    podman.assert_nothing_left()


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
        "    lambda: open('/usr/local/probe', 'w'),\n"
        "):\n    try:\n        attempt()\n        print('ok')\n    except OSError:\n        print('blocked')\n"
        "print(os.getuid(), os.listdir('/usr/local'))\n"
        "print(repr(open('/etc/hosts').read()), repr(open('/etc/resolv.conf').read()))\n"
    )
    try:
        result = await runner.run_batch(language="python", files=[("main.py", probe)])
    finally:
        listener.close()
    lines = result.stdout.decode().splitlines()
    assert lines[:6] == ["blocked"] * 6, result
    assert lines[6] == "65534 []"  # the host's /usr/local is hidden
    assert lines[7] == "'' ''"  # nothing of the host's /etc/hosts or resolv.conf
    await assert_unharmed(podman, canary)


async def test_it_gives_the_program_none_of_the_servers_environment(
    podman: RunTracker, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBSERVER_TEST_SECRET", "do-not-leak")
    source = "import os\nfor k, v in sorted(os.environ.items()):\n    print(f'{k}={v}')\n"
    result = await runner.run_batch(language="python", files=[("main.py", source)])
    assert result.status == Status.OK, result
    env = dict(line.split("=", 1) for line in result.stdout.decode().splitlines())
    assert env == {
        "PATH": "/usr/bin:/bin", "HOME": "/work", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8", "USER": "sandbox", "LOGNAME": "sandbox", "PWD": "/work",
        "HOSTNAME": "sandbox", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8",
    }
    await assert_unharmed(podman, canary)


async def test_it_runs_concurrent_containers_under_distinct_names(podman: RunTracker) -> None:
    files = [("main.py", "import time\ntime.sleep(0.5)\nprint('done')\n")]
    results = await asyncio.gather(*(runner.run_batch(language="python", files=files) for _ in range(2)))
    assert [r.status for r in results] == [Status.OK, Status.OK], results
    names = [getattr(step, "name", "") for step in podman.steps]
    assert len(set(names)) == 2 and all(n.startswith("observer-run-") for n in names)
    podman.assert_nothing_left()
