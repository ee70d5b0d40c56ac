"""Every language the classroom runs, declared once.

A declaration is data, not a branch in the runner: the entry file's default name, the
compile step (if any), the run step, limit overrides and a hello-world program for
``manage.py sandbox check``. Argv templates are expanded by :func:`expand_argv`:

- ``{entry}``: the entry file's name relative to the work dir (``main.py``)
- ``{stem}``: the entry's name without directories or extension (``Main`` for Java)
- ``{sources}``: expands to every submitted file with one of ``source_suffixes``
- ``{heap_mb}``: a JVM heap size that fits the step's memory limit
- ``{runtimes}``: where the project's npm runtimes (TypeScript) are mounted

Compile steps write to ``/build``, which the run step sees read-only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from coding.sandbox.base import InvalidRun, Limits

RUNTIMES_MOUNT = "/opt/observer-runtimes"

# JVM flags that make startup fast and keep the JVM's own memory inside the limit.
_JVM_FLAGS = (
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Xshare:auto",
    "-Xss8m",
    # The JVM logs its own warnings (e.g. "failed to start thread") to stdout.
    "-Xlog:disable",
    "-Xlog:all=warning:stderr",
)

_NODE_OOM = r"FATAL ERROR: .*JavaScript heap out of memory"
# "TypeError: x is not a function", "Error [ERR_MODULE_NOT_FOUND]: Cannot find module ..."
_NODE_ERROR = r"(?:[A-Z]\w*)?Error(?: \[\w+\])?(?::.*)?"
_GCC_ERROR = r"\S[^:]*:\d+:\d+: (?:fatal )?error: .*"


@dataclasses.dataclass(frozen=True)
class Language:
    name: str
    label: str
    entry_name: str
    source_suffixes: tuple[str, ...]
    run: tuple[str, ...]
    hello: str
    compile: tuple[str, ...] | None = None
    limits: Mapping[str, object] = dataclasses.field(default_factory=dict)
    compile_limits: Mapping[str, object] = dataclasses.field(default_factory=dict)
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # Host paths (outside /usr) the runtime needs, mounted read-only where they are.
    binds: tuple[str, ...] = ()
    needs_runtimes: bool = False
    # RLIMIT_AS breaks runtimes that reserve address space up front (JVM, V8).
    address_space_limit: bool = True
    # Regular expressions (matched per line, anchored at its start) for the line a
    # runtime prints when it ran out of its own memory budget (heap flags, RLIMIT_AS).
    # Only consulted when the program failed, in the tail of its stderr (batch) or of
    # the terminal (interactive): see sandbox.classify.memory_marker_found.
    memory_error_markers: tuple[str, ...] = ()
    # A whole line (regular expression) where the runtime names the error that ended a
    # program, and one where the compiler names an error; the group ``error``, if any, is
    # what a run's message shows. See coding.error_lines.
    error_line: str | None = None
    compile_error_line: str | None = None


COMPILE_LIMITS: Mapping[str, object] = {
    "wall_seconds": 30.0,
    "cpu_seconds": 20.0,
    "memory_bytes": 512 * 1024 * 1024,
    "max_processes": 64,
    "file_size_bytes": 64 * 1024 * 1024,
    "idle_seconds": None,
}

LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        Language(
            name="python",
            label="Python 3",
            entry_name="main.py",
            source_suffixes=(".py",),
            run=("/usr/bin/python3", "-u", "{entry}"),
            env={"PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"},
            hello='print("Hello, world!")\n',
            memory_error_markers=(r"MemoryError\b",),
            # A traceback's last line: "SyntaxError: expected ':'", "json.decoder.JSONDecodeError: ..."
            error_line=r"(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Warning|Interrupt|Exit|Iteration)(?::.*)?",
        ),
        Language(
            name="javascript",
            label="JavaScript (Node.js)",
            entry_name="main.js",
            source_suffixes=(".js", ".mjs", ".cjs", ".json"),
            run=("/usr/bin/node", "--max-old-space-size={heap_mb}", "{entry}"),
            hello='console.log("Hello, world!");\n',
            address_space_limit=False,
            memory_error_markers=(_NODE_OOM,),
            error_line=_NODE_ERROR,
        ),
        Language(
            name="typescript",
            label="TypeScript",
            entry_name="main.ts",
            source_suffixes=(".ts",),
            compile=(
                "/usr/bin/node",
                "{runtimes}/node_modules/typescript/lib/tsc.js",
                "--outDir", "/build",
                "--target", "ES2022",
                # Without DOM typings (half of tsc's parsing time); Node's come from @types.
                "--lib", "ES2022",
                "--module", "commonjs",
                "--moduleResolution", "node",
                "--typeRoots", "{runtimes}/node_modules/@types",
                "--types", "node",
                "--strict",
                "--noEmitOnError",
                "--skipLibCheck",
                "--pretty", "false",
                "{sources}",
            ),
            run=("/usr/bin/node", "--max-old-space-size={heap_mb}", "/build/{stem}.js"),
            hello='console.log("Hello, world!" as string);\n',
            needs_runtimes=True,
            address_space_limit=False,
            memory_error_markers=(_NODE_OOM,),
            error_line=_NODE_ERROR,
            compile_error_line=r"\S[^(]*\(\d+,\d+\): error TS\d+: .*",
        ),
        Language(
            name="c",
            label="C (gcc)",
            entry_name="main.c",
            source_suffixes=(".c",),
            compile=(
                "/usr/bin/gcc", "-std=gnu17", "-O2", "-Wall", "-pipe",
                "-o", "/build/main", "{sources}", "-lm",
            ),
            run=("/build/main",),
            compile_error_line=_GCC_ERROR,
            hello='#include <stdio.h>\n\nint main(void) {\n    printf("Hello, world!\\n");\n'
            "    return 0;\n}\n",
        ),
        Language(
            name="cpp",
            label="C++ (g++)",
            entry_name="main.cpp",
            source_suffixes=(".cpp", ".cc", ".cxx"),
            compile=(
                "/usr/bin/g++", "-std=gnu++17", "-O2", "-Wall", "-pipe",
                "-ftemplate-depth=900",
                "-o", "/build/main", "{sources}",
            ),
            run=("/build/main",),
            compile_error_line=_GCC_ERROR,
            hello='#include <iostream>\n\nint main() {\n    std::cout << "Hello, world!" << '
            "std::endl;\n    return 0;\n}\n",
        ),
        Language(
            name="java",
            label="Java 17",
            entry_name="Main.java",
            source_suffixes=(".java",),
            compile=(
                "/usr/bin/javac",
                *(f"-J{flag}" for flag in _JVM_FLAGS),
                "-J-Xmx{heap_mb}m",
                "-encoding", "UTF-8",
                "-d", "/build",
                "{sources}",
            ),
            run=(
                "/usr/bin/java", *_JVM_FLAGS, "-Xmx{heap_mb}m",
                "-cp", "/build", "{stem}",
            ),
            hello='public class Main {\n    public static void main(String[] args) {\n'
            '        System.out.println("Hello, world!");\n    }\n}\n',
            limits={"memory_bytes": 512 * 1024 * 1024, "max_processes": 128},
            compile_limits={"max_processes": 128},
            binds=("/etc/alternatives", "/etc/java-17-openjdk"),
            address_space_limit=False,
            memory_error_markers=(
                r'(?:Exception in thread "[^"\r\n]*" )?java\.lang\.OutOfMemoryError: '
                r"(?:Java heap space|GC overhead limit exceeded)",
            ),
            error_line=(r'(?:Exception in thread "[^"]*" )?'
                        r"(?P<error>(?:[a-z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error)(?::.*)?)"),
            compile_error_line=r"\S[^:]*\.java:\d+: error: .*",
        ),
    )
}

LANGUAGE_ALIASES = {"py": "python", "js": "javascript", "node": "javascript",
                    "ts": "typescript", "c++": "cpp", "cxx": "cpp"}


def get_language(name: str) -> Language:
    key = LANGUAGE_ALIASES.get(name.lower(), name.lower())
    try:
        return LANGUAGES[key]
    except KeyError:
        known = ", ".join(sorted(LANGUAGES))
        raise InvalidRun(f"unknown language {name!r}; known: {known}") from None


def heap_mb(limits: Limits) -> int:
    """A managed-heap size that leaves room for the runtime's own memory."""
    return max(32, int(limits.memory_bytes * 0.6) // (1024 * 1024))


def expand_argv(
    template: Sequence[str],
    *,
    language: Language,
    file_names: Sequence[str],
    entry: str,
    limits: Limits,
) -> tuple[str, ...]:
    """Fill an argv template; ``{sources}`` becomes one argument per matching file."""
    values = {
        "entry": entry,
        "stem": PurePosixPath(entry).name.rsplit(".", 1)[0],
        "heap_mb": str(heap_mb(limits)),
        "runtimes": RUNTIMES_MOUNT,
    }
    argv: list[str] = []
    for part in template:
        if part == "{sources}":
            sources = [n for n in file_names if n.endswith(language.source_suffixes)]
            argv.extend(sources or [entry])
        else:
            argv.append(part.format(**values))
    return tuple(argv)
