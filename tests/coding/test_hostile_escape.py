"""Hostile programs that try to leave the sandbox, on the real bubblewrap backend.

The programs report what they managed; each test asserts the exact status, that
nothing got out, and that the machine is unharmed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from coding import runner
from coding.sandbox.base import Status
from tests.coding.sandbox_support import Canary, RunTracker, assert_unharmed, quick_limits

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(60)]


def attempts(lines: list[str]) -> str:
    """A Python program that runs each statement and prints ``ok`` or the error."""
    body = "".join(
        f"try:\n    {line}\n    print('ok', {line!r})\nexcept BaseException as e:\n"
        f"    print('blocked', {line!r}, type(e).__name__)\n"
        for line in lines
    )
    return "import os, socket, signal\n" + body


async def run_python(source: str, **limits: object) -> runner.RunResult:
    return await runner.run_batch(language="python", files=[("main.py", source)],
                                  limits=quick_limits(**limits))


def assert_all_blocked(result: runner.RunResult, expected: int) -> None:
    assert result.status == Status.OK, result
    lines = result.stdout.decode().splitlines()
    assert len(lines) == expected, lines
    assert all(line.startswith("blocked") for line in lines), lines


async def test_it_has_no_network_to_a_local_listener_or_outside(
    bwrap: RunTracker, canary: Canary
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    source = attempts([
        f"socket.create_connection(('127.0.0.1', {port}), timeout=2)",
        "socket.create_connection(('1.1.1.1', 53), timeout=2)",
        "socket.create_connection(('pypi.org', 443), timeout=2)",
        "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53))",
    ])
    try:
        result = await run_python(source)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    assert_all_blocked(result, 4)
    await assert_unharmed(bwrap, canary)


@pytest.fixture
def database_file(canary: Canary) -> Iterator[Path]:
    """A real SQLite database in the project directory, beside the canary (the test
    suite's own database lives in memory, so db.sqlite3 may not exist at all)."""
    path = canary.path.with_suffix(".sqlite3")
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE secret (value TEXT)")
    connection.execute("INSERT INTO secret VALUES (?)", (canary.content.decode() + "-db",))
    connection.commit()
    connection.close()
    path.chmod(0o644)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


async def test_it_cannot_read_the_canary_the_database_or_shadow(
    bwrap: RunTracker, canary: Canary, database_file: Path
) -> None:
    databases = [database_file]
    configured = Path(str(django_settings.DATABASES["default"].get("NAME", "")))
    if configured.is_file():
        databases.append(configured)
    source = attempts([
        f"open({str(canary.path)!r}).read()",
        *(f"open({str(path)!r}, 'rb').read()" for path in databases),
        "open('/etc/shadow').read()",
        "open('/etc/passwd').read()",
        f"os.listdir({str(canary.path.parent)!r})",
        "os.listdir('/root')",
        "os.listdir('/home')",
    ])
    result = await run_python(source)
    assert_all_blocked(result, 6 + len(databases))
    assert canary.content not in result.stdout + result.stderr
    assert sqlite3.connect(database_file).execute("SELECT value FROM secret").fetchone() == (
        canary.content.decode() + "-db",
    )
    await assert_unharmed(bwrap, canary)


async def test_it_cannot_write_outside_the_work_dir(bwrap: RunTracker, canary: Canary) -> None:
    source = attempts([
        "open('/probe', 'w').write('x')",
        "open('/usr/probe', 'w').write('x')",
        "open('/usr/local/probe', 'w').write('x')",
        "open('/etc/probe', 'w').write('x')",
        "open('/dev/probe', 'w').write('x')",
        "open('/proc/sysrq-trigger', 'w').write('b')",
        f"open({str(canary.path)!r}, 'w').write('x')",
        "os.mkdir('/opt')",
    ])
    result = await run_python(source)
    assert_all_blocked(result, 8)
    await assert_unharmed(bwrap, canary)


async def test_it_survives_kill_minus_one_and_signals_to_the_server(
    bwrap: RunTracker, canary: Canary
) -> None:
    server_pid = os.getpid()
    # Host processes kill -1 must not reach: one as the sandbox's own host uid (65534
    # when the server is root), one as the server's uid.
    bystanders = [subprocess.Popen(["sleep", "60"], user=65534, group=65534)] if os.geteuid() == 0 else []
    bystanders.append(subprocess.Popen(["sleep", "60"]))
    source = (
        "import os, signal, subprocess\n"
        "child = subprocess.Popen(['sleep', '30'])\n"
        "os.kill(-1, signal.SIGKILL)\n"
        f"for pid in ({server_pid}, {os.getppid()}, 1, *{[p.pid for p in bystanders]!r}):\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n        print('sent', pid)\n"
        "    except OSError as e:\n        print('blocked', pid, type(e).__name__)\n"
        "print('child', child.wait())\n"
    )
    try:
        result = await run_python(source)
        survivors = [process.poll() is None for process in bystanders]
    finally:
        for process in bystanders:
            process.kill()
            process.wait()
    assert result.status == Status.OK, result
    lines = result.stdout.decode().splitlines()
    assert f"blocked {server_pid} ProcessLookupError" in lines  # pid namespace
    assert lines[-1] == "child -9"  # kill -1 only reached the run's own processes
    assert survivors == [True] * len(bystanders), lines
    await assert_unharmed(bwrap, canary)


async def test_it_kills_children_that_setsid_or_double_fork(bwrap: RunTracker, canary: Canary) -> None:
    token = f"observer-daemon-{secrets.token_hex(4)}"
    source = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/usr/bin/sleep', [{token!r}, '300'])\n"
        "    os._exit(0)\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execv('/usr/bin/sleep', [{token!r}, '301'])\n"
        "print('parent done')\n"
    )
    result = await run_python(source)
    assert result.status == Status.OK, result
    assert result.stdout == b"parent done\n"
    await assert_unharmed(bwrap, canary, token=token)


async def test_it_cannot_see_another_runs_files_or_processes(
    bwrap: RunTracker, canary: Canary
) -> None:
    secret = secrets.token_hex(8)
    victim_source = (
        f"import time\nopen('/work/secret', 'w').write({secret!r})\n"
        f"open('/tmp/secret', 'w').write({secret!r})\nprint('ready', flush=True)\n"
        "time.sleep(20)\n"
    )
    victim = await runner.start_interactive(language="python", files=[("main.py", victim_source)],
                                            limits=quick_limits(wall_seconds=20.0))
    chunks = victim.output().__aiter__()
    assert b"ready" in await asyncio.wait_for(chunks.__anext__(), 10)
    snoop = (
        "import os, glob\nfound = []\n"
        "for path in glob.glob('/proc/[0-9]*'):\n"
        "    found.append(path)\n"
        "    for name in ('root/work/secret', 'root/tmp/secret', 'cwd/secret', 'environ', 'cmdline'):\n"
        "        try:\n            found.append(open(os.path.join(path, name), 'rb').read().decode(errors='replace'))\n"
        "        except OSError:\n            pass\n"
        "for path in ('/work/secret', '/tmp/secret', '/build'):\n"
        "    found.append(str(os.path.exists(path)))\n"
        "print(len(glob.glob('/proc/[0-9]*')), found)\n"
    )
    try:
        result = await run_python(snoop)
    finally:
        stopped = await victim.stop()
    assert stopped.status == Status.KILLED
    assert result.status == Status.OK, result
    assert secret.encode() not in result.stdout
    # Only the sandbox's own init (bwrap) and the program itself are visible.
    assert result.stdout.startswith(b"2 ['/proc/1', "), result.stdout
    await assert_unharmed(bwrap, canary)


async def test_it_gives_the_program_none_of_the_servers_environment(
    bwrap: RunTracker, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBSERVER_TEST_SECRET", "do-not-leak")
    source = "import os\nfor k, v in sorted(os.environ.items()):\n    print(f'{k}={v}')\n"
    result = await run_python(source)
    assert result.status == Status.OK, result
    env = dict(line.split("=", 1) for line in result.stdout.decode().splitlines())
    assert set(env) == {
        "PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "USER", "LOGNAME", "PWD",
        "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING",
    }
    assert b"do-not-leak" not in result.stdout
    for key, value in os.environ.items():
        if key not in env and len(value) > 6:
            assert value.encode() not in result.stdout, key
    await assert_unharmed(bwrap, canary)


async def test_it_runs_as_nobody_without_capabilities(bwrap: RunTracker, canary: Canary) -> None:
    source = (
        "import os\nprint(os.getuid(), os.getgid(), os.getgroups())\n"
        "status = open('/proc/self/status').read()\n"
        "print([l for l in status.splitlines() if l.startswith(('CapEff', 'NoNewPrivs'))])\n"
        "print(os.getsid(0) == os.getpgid(0))\n"
    )
    result = await run_python(source)
    assert result.status == Status.OK, result
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "65534 65534 []"
    assert "CapEff:\\t0000000000000000" in lines[1]
    assert "NoNewPrivs:\\t1" in lines[1]
    await assert_unharmed(bwrap, canary)
