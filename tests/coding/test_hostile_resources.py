"""Hostile programs that attack resources, on the real bubblewrap backend.

Each asserts the exact status, then that nothing of the run survives, no cgroup or
directory is left, the canary is untouched and a normal run still succeeds.
"""

from __future__ import annotations

import pytest

from coding import runner
from coding.sandbox.base import Status
from tests.coding.conftest import FAST_COMPILE
from tests.coding.sandbox_support import (
    FORK_BOMB,
    Canary,
    RunTracker,
    assert_unharmed,
    forked,
    quick_limits,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]

MB = 1024 * 1024


async def test_it_contains_a_fork_bomb(bwrap: RunTracker, canary: Canary) -> None:
    result = await runner.run_batch(
        language="python", files=[("main.py", FORK_BOMB)],
        limits=quick_limits(wall_seconds=3.0, max_processes=32),
    )
    assert result.status == Status.TIMEOUT, result
    # bwrap, its init and the program itself count too.
    assert 32 - 8 <= forked(result) <= 32 - 3, result.stdout
    await assert_unharmed(bwrap, canary)


async def test_it_stops_a_memory_bomb_at_the_memory_limit(bwrap: RunTracker, canary: Canary) -> None:
    source = "blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))\n"
    limits = quick_limits(memory_bytes=96 * MB)
    result = await runner.run_batch(language="python", files=[("main.py", source)], limits=limits)
    assert result.status == Status.MEMORY_LIMIT, result
    assert result.peak_memory_kb <= 100 * 1024
    await assert_unharmed(bwrap, canary)


async def test_it_times_out_an_infinite_loop(bwrap: RunTracker, canary: Canary) -> None:
    # The wall limit is far off: on a loaded machine 1 s of CPU can take several seconds,
    # and it is the CPU limit that must end the loop (the message says which did).
    result = await runner.run_batch(
        language="python", files=[("main.py", "while True:\n    pass\n")],
        limits=quick_limits(cpu_seconds=1.0, wall_seconds=60.0),
    )
    assert result.status == Status.TIMEOUT, result
    assert "CPU time limit (1 s)" in result.message, result
    # It ran to its limit, and not far past it. The kernel ends it on its own precise
    # clock; the figure reported is the accounting's (rusage, the cgroup), which a loaded
    # VM has been seen to under-count (868 ms for a 1 s limit): the floor is loose.
    assert 600 <= result.cpu_ms < 5000, result
    await assert_unharmed(bwrap, canary)


async def test_it_times_out_a_sleeping_program_at_the_wall_limit(bwrap: RunTracker, canary: Canary) -> None:
    result = await runner.run_batch(
        language="python", files=[("main.py", "import time\ntime.sleep(60)\n")],
        limits=quick_limits(wall_seconds=1.0),
    )
    assert result.status == Status.TIMEOUT, result
    assert "time limit (1 s)" in result.message
    # Ended by the limit, not by the program (60 s); how soon after the limit is load's.
    assert 1000 <= result.wall_ms < 30_000, result
    await assert_unharmed(bwrap, canary)


async def test_it_stops_a_cpu_burner_in_many_threads(bwrap: RunTracker, canary: Canary) -> None:
    source = (
        "#include <pthread.h>\n#include <stdio.h>\n"
        "static void *burn(void *arg) { volatile unsigned long x = 0; for (;;) x++; return arg; }\n"
        "int main(void) { pthread_t t[16];\n"
        "  for (int i = 0; i < 16; i++) pthread_create(&t[i], 0, burn, 0);\n"
        "  pthread_join(t[0], 0); return 0; }\n"
    )
    result = await runner.run_batch(
        language="c", files=[("main.c", source)], limits=quick_limits("c", cpu_seconds=1.0)
    )
    assert result.status == Status.TIMEOUT, result
    assert result.cpu_ms < 5000
    await assert_unharmed(bwrap, canary)


async def test_it_cuts_a_one_gigabyte_stdout_flood_at_the_output_cap(
    bwrap: RunTracker, canary: Canary
) -> None:
    source = (
        "import sys\nblock = b'x' * (1024 * 1024)\n"
        "for _ in range(1024):\n    sys.stdout.buffer.write(block)\n"
    )
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits(wall_seconds=20.0))
    # Killed at the cap (not stopped by the wall limit long after, which would be `timeout`).
    assert result.status == Status.OUTPUT_LIMIT, result
    assert len(result.stdout) == MB
    await assert_unharmed(bwrap, canary)


async def test_it_cuts_a_stderr_flood_separately(bwrap: RunTracker, canary: Canary) -> None:
    source = "import sys\nprint('fine')\nwhile True:\n    sys.stderr.write('e' * 65536)\n"
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits(output_bytes=64 * 1024))
    assert result.status == Status.OUTPUT_LIMIT, result
    assert result.stdout == b"fine\n"
    assert len(result.stderr) == 64 * 1024
    await assert_unharmed(bwrap, canary)


@pytest.mark.parametrize("directory", ["/work", "/tmp", "/dev/shm"])
async def test_it_keeps_a_disk_fill_inside_the_size_limit(
    bwrap: RunTracker, canary: Canary, directory: str
) -> None:
    source = (
        "import os\nchunk = b'z' * (1024 * 1024)\n"
        "for i in range(1000):\n"
        f"    with open(os.path.join({directory!r}, f'fill{{i}}'), 'wb') as f:\n"
        "        for _ in range(4):\n"
        "            f.write(chunk)\n"
    )
    result = await runner.run_batch(language="python", files=[("main.py", source)], limits=quick_limits())
    assert result.status == Status.RUNTIME_ERROR, result
    assert b"No space left on device" in result.stderr
    await assert_unharmed(bwrap, canary)


async def test_it_sets_the_rlimits(bwrap: RunTracker, canary: Canary) -> None:
    source = (
        "import resource as r\n"
        "for name in ('CPU', 'FSIZE', 'NOFILE', 'CORE'):\n"
        "    print(name, *r.getrlimit(getattr(r, 'RLIMIT_' + name)))\n"
    )
    # The tmpfs size (file_size_bytes) is the default's: a warm sandbox takes this run
    # and its launcher lowers the rlimits to these.
    limits = quick_limits(cpu_seconds=3.0, open_files=77)
    result = await runner.run_batch(language="python", files=[("main.py", source)], limits=limits)
    assert result.status == Status.OK, result
    assert result.stdout.decode().splitlines() == [
        "CPU 3 4", f"FSIZE {10 * MB} {10 * MB}", "NOFILE 77 77", "CORE 0 0",
    ]
    assert bwrap.pooled == [True]
    await assert_unharmed(bwrap, canary)


async def test_it_survives_huge_argv_and_env(bwrap: RunTracker, canary: Canary) -> None:
    source = (
        "import os\n"
        "env = {f'V{i}': 'e' * 100_000 for i in range(400)}\n"
        "os.execve('/usr/bin/true', ['true'] + ['a' * 100_000] * 400, env)\n"
    )
    result = await runner.run_batch(language="python", files=[("main.py", source)],
                                    limits=quick_limits())
    assert result.status == Status.RUNTIME_ERROR, result
    assert b"Argument list too long" in result.stderr
    await assert_unharmed(bwrap, canary)


async def test_it_rejects_a_source_above_the_source_limit(bwrap: RunTracker) -> None:
    with pytest.raises(runner.InvalidRun, match="source too large"):
        await runner.run_batch(language="python", files=[("main.py", "#" * (1024 * 1024 + 1))])


async def test_it_reports_a_cpp_template_explosion_as_a_compile_error(
    bwrap: RunTracker, canary: Canary
) -> None:
    source = (
        "template<class T, int D> struct E { typedef E<E<T, D - 1>, D - 1> a;\n"
        "  typedef E<a, D - 1> b; static const int v = a::v + b::v; };\n"
        "template<class T> struct E<T, 0> { static const int v = 1; };\n"
        "int main() { return E<int, 28>::v; }\n"
    )
    result = await runner.run_batch(language="cpp", files=[("main.cpp", source)])
    assert result.status == Status.COMPILE_ERROR, result
    assert "compilation exceeded" in result.message
    await assert_unharmed(bwrap, canary)


async def test_it_reports_a_compiler_flood_as_the_output_limit_not_memory(
    bwrap: RunTracker, canary: Canary, settings: object
) -> None:
    settings.SANDBOX_COMPILE_LIMITS = {**FAST_COMPILE, "output_bytes": 4096}  # type: ignore[attr-defined]
    source = "".join(f"int f{i}(void) {{ int unused{i}; return 0; }}\n" for i in range(2000))
    result = await runner.run_batch(language="c", files=[("main.c", source)])
    assert result.status == Status.COMPILE_ERROR, result
    assert result.message.endswith("compiler output limit (4 KB) exceeded"), result.message
    assert "unused variable" in result.message
    await assert_unharmed(bwrap, canary)


JAVA_THREAD_BOMB = (
    "public class Main { static void sleeper() { try { Thread.sleep(100000); }\n"
    "    catch (InterruptedException e) { } }\n"
    "  public static void main(String[] args) { int n = 0;\n"
    "    try { while (true) { new Thread(Main::sleeper).start(); n++; } }\n"
    "    catch (OutOfMemoryError e) { System.out.println(\"threads \" + n + \" \" + e.getMessage());"
    " System.out.flush(); }\n"
    "    sleeper(); } }\n"
)


async def test_it_contains_a_java_thread_bomb(bwrap: RunTracker, canary: Canary) -> None:
    limits = quick_limits("java", wall_seconds=4.0)
    result = await runner.run_batch(language="java", files=[("Main.java", JAVA_THREAD_BOMB)],
                                    limits=limits)
    assert result.status == Status.TIMEOUT, result
    words = result.stdout.decode().split()
    assert words[0] == "threads", result
    assert b"unable to create native thread" in result.stdout
    # The JVM's own threads (GC, compiler, signal...) use some of the pids limit.
    assert limits.max_processes - 40 <= int(words[1]) < limits.max_processes, words
    await assert_unharmed(bwrap, canary)
