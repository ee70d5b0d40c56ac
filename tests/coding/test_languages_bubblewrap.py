"""Every language, batch, on the real bubblewrap backend: output, stdin, errors."""

from __future__ import annotations

import pytest

from coding import runner
from coding.languages import LANGUAGES
from coding.sandbox.base import Status
from tests.coding.sandbox_support import RunTracker

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]

ECHO = {
    "python": ("main.py", "import sys\nprint(sys.stdin.read().upper(), end='')\n"),
    "javascript": ("main.js", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
                   "process.stdout.write(s.toUpperCase()));\n"),
    "typescript": ("main.ts", "let s: string = '';\nprocess.stdin.on('data', (d: Buffer) => { s += d; });\n"
                   "process.stdin.on('end', () => process.stdout.write(s.toUpperCase()));\n"),
    "c": ("main.c", "#include <stdio.h>\n#include <ctype.h>\nint main(void){int c;"
          "while((c=getchar())!=EOF)putchar(toupper(c));return 0;}\n"),
    "cpp": ("main.cpp", "#include <iostream>\n#include <cctype>\nint main(){char c;"
            "while(std::cin.get(c))std::cout<<(char)std::toupper(c);}\n"),
    "java": ("Main.java", "public class Main { public static void main(String[] a) throws Exception {"
             " System.out.print(new String(System.in.readAllBytes()).toUpperCase()); } }\n"),
}
BROKEN = {
    "typescript": ("main.ts", "const n: number = 'text';\n", "TS2322"),
    "c": ("main.c", "int main(void) { return undefined_name; }\n", "undefined_name"),
    "cpp": ("main.cpp", "int main() { std::vector<int> v; }\n", "vector"),
    "java": ("Main.java", "public class Main { void f() { int x = \"s\"; } }\n", "incompatible types"),
}
CRASH = {
    "python": ("main.py", "raise SystemExit(3)\n", 3),
    "javascript": ("main.js", "process.exit(4);\n", 4),
    "c": ("main.c", "int main(void) { return 5; }\n", 5),
    "java": ("Main.java", "public class Main { public static void main(String[] a) {"
             " System.exit(6); } }\n", 6),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
async def test_it_runs_hello_world(bwrap: RunTracker, language: str) -> None:
    lang = LANGUAGES[language]
    result = await runner.run_batch(language=language, files=[(lang.entry_name, lang.hello)])
    assert result.status == Status.OK, result
    assert result.stdout == b"Hello, world!\n"
    assert result.wall_ms > 0 and result.peak_memory_kb > 0
    bwrap.assert_nothing_left()


@pytest.mark.parametrize("language", sorted(ECHO))
async def test_it_feeds_stdin_and_captures_stdout(bwrap: RunTracker, language: str) -> None:
    result = await runner.run_batch(language=language, files=[ECHO[language]], stdin=b"abc\ndef\n")
    assert result.status == Status.OK, result
    assert result.stdout == b"ABC\nDEF\n"


# Each prints its arguments one per line, framed, so that an empty one shows.
ARGS = {
    "python": ("main.py", "import sys\nfor a in sys.argv[1:]: print(f'[{a}]')\n"),
    "javascript": ("main.js", "for (const a of process.argv.slice(2)) console.log(`[${a}]`);\n"),
    "typescript": ("main.ts", "for (const a of process.argv.slice(2)) console.log(`[${a as string}]`);\n"),
    "c": ("main.c", '#include <stdio.h>\nint main(int n, char **v){for(int i=1;i<n;i++)printf("[%s]\\n",v[i]);}\n'),
    "cpp": ("main.cpp", '#include <iostream>\nint main(int n, char **v){for(int i=1;i<n;i++)'
            'std::cout<<"["<<v[i]<<"]\\n";}\n'),
    "java": ("Main.java", "public class Main { public static void main(String[] a) {"
             " for (String s : a) System.out.println(\"[\" + s + \"]\"); } }\n"),
}
# What a shell would have done with them, had there been one: nothing here is expanded.
HOSTILE_ARGS = ["plain", "two words", "", "$HOME", "`id`", "; rm -rf /work", "*", "ü ✓", "--flag=1"]


@pytest.mark.parametrize("language", sorted(ARGS))
async def test_it_passes_command_line_arguments_as_they_are(bwrap: RunTracker, language: str) -> None:
    result = await runner.run_batch(language=language, files=[ARGS[language]], args=HOSTILE_ARGS)
    assert result.status == Status.OK, result
    assert result.stdout.decode() == "".join(f"[{a}]\n" for a in HOSTILE_ARGS)


async def test_it_passes_arguments_to_an_interactive_run(bwrap: RunTracker) -> None:
    run = await runner.start_interactive(language="python", files=[ARGS["python"]], args=["a b", "c"])
    output = b"".join([chunk async for chunk in run.output()])
    assert (await run.wait()).status == Status.OK
    assert output.replace(b"\r\n", b"\n") == b"[a b]\n[c]\n"


@pytest.mark.parametrize("language", sorted(BROKEN))
async def test_it_reports_compile_errors_with_the_compilers_message(
    bwrap: RunTracker, language: str
) -> None:
    name, source, expected = BROKEN[language]
    result = await runner.run_batch(language=language, files=[(name, source)])
    assert result.status == Status.COMPILE_ERROR, result
    assert expected in result.message
    assert result.stdout == b""
    bwrap.assert_nothing_left()


@pytest.mark.parametrize("language", sorted(CRASH))
async def test_it_reports_the_exit_code_of_a_failing_program(bwrap: RunTracker, language: str) -> None:
    name, source, code = CRASH[language]
    result = await runner.run_batch(language=language, files=[(name, source)])
    assert result.status == Status.RUNTIME_ERROR, result
    assert result.exit_code == code


async def test_it_reports_the_signal_of_a_crashing_program(bwrap: RunTracker) -> None:
    source = "int main(void) { volatile int *p = 0; return *p; }\n"
    result = await runner.run_batch(language="c", files=[("main.c", source)])
    assert result.status == Status.RUNTIME_ERROR, result
    assert (result.exit_code, result.signal) == (None, 11)
    assert result.message == "killed by signal SIGSEGV"


async def test_it_captures_stdout_and_stderr_separately(bwrap: RunTracker) -> None:
    source = "import sys\nprint('out')\nprint('err', file=sys.stderr)\nraise ValueError('boom')\n"
    result = await runner.run_batch(language="python", files=[("main.py", source)])
    assert result.status == Status.RUNTIME_ERROR
    assert result.stdout == b"out\n"
    assert result.stderr.startswith(b"err\nTraceback")
    assert b"ValueError: boom" in result.stderr


async def test_it_runs_several_files_with_the_chosen_entry(bwrap: RunTracker) -> None:
    files = [("util/greet.py", "def greet(n):\n    return f'hi {n}'\n"),
             ("util/__init__.py", ""),
             ("app.py", "from util.greet import greet\nprint(greet('ada'))\n")]
    result = await runner.run_batch(language="python", files=files, entry="app.py")
    assert result.status == Status.OK, result
    assert result.stdout == b"hi ada\n"


async def test_it_compiles_several_java_classes(bwrap: RunTracker) -> None:
    files = [("Main.java", "public class Main { public static void main(String[] a) {"
              " System.out.println(Util.twice(21)); } }\n"),
             ("Util.java", "class Util { static int twice(int x) { return 2 * x; } }\n")]
    result = await runner.run_batch(language="java", files=files)
    assert result.status == Status.OK, result
    assert result.stdout == b"42\n"


async def test_it_reports_a_java_heap_overflow_as_a_memory_limit(bwrap: RunTracker) -> None:
    source = ("import java.util.*; public class Main { public static void main(String[] a) {"
              " List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1 << 20]); } }\n")
    result = await runner.run_batch(language="java", files=[("Main.java", source)])
    assert result.status == Status.MEMORY_LIMIT, result
    bwrap.assert_nothing_left()


async def test_it_reports_a_node_heap_overflow_as_a_memory_limit(bwrap: RunTracker) -> None:
    source = "const a = []; while (true) a.push(new Array(1e6).fill(1.5));\n"
    result = await runner.run_batch(language="javascript", files=[("main.js", source)])
    assert result.status == Status.MEMORY_LIMIT, result


@pytest.mark.parametrize("missing", [("helper",), ("helper", "prlimit")])
async def test_it_applies_the_same_limits_without_its_launcher_or_util_linux(
    bwrap: RunTracker, monkeypatch: pytest.MonkeyPatch, settings: object, missing: tuple[str, ...]
) -> None:
    from coding.sandbox import get_backend

    # Without observer-launcher, util-linux's prlimit and setpriv set the rlimits and drop
    # to uid 65534; without them either, the child does it itself (a preexec hook).
    settings.SANDBOX_WARM_POOL = 0  # type: ignore[attr-defined]  # cold: the path under test
    for name in missing:
        monkeypatch.setattr(get_backend("bubblewrap"), name, "")
    source = ("import os, resource as r\nprint(os.getuid(), r.getrlimit(r.RLIMIT_NOFILE),"
              " r.getrlimit(r.RLIMIT_CORE), r.getrlimit(r.RLIMIT_CPU))\n")
    result = await runner.run_batch(language="python", files=[("main.py", source)])
    assert result.status == Status.OK, result
    assert result.stdout.splitlines()[0] == b"65534 (256, 256) (0, 0) (5, 6)"
    assert result.cpu_ms > 0
    assert bwrap.pooled == [False]
    bwrap.assert_nothing_left()


async def test_a_batch_run_streams_its_stdout_alone_as_it_comes(bwrap: RunTracker) -> None:
    """What a grading harness's reports ride on: stdout while the program still runs,
    never stderr, and all of it in the result as well."""
    import asyncio

    chunks: list[bytes] = []
    source = ("import sys, time\nprint('first', flush=True)\nprint('noise', file=sys.stderr, flush=True)\n"
              "time.sleep(3)\nprint('second', flush=True)\n")
    run = await runner.start_batch(language="python", files=[("main.py", source)], on_stdout=chunks.append)
    for _ in range(1000):
        if b"first\n" in b"".join(chunks):
            break
        await asyncio.sleep(0.01)
    assert b"".join(chunks) == b"first\n"  # while the program sleeps: streamed, not collected at the end
    result = await run.wait()
    assert result.status == Status.OK and b"".join(chunks) == result.stdout == b"first\nsecond\n"
    assert result.stderr == b"noise\n"
