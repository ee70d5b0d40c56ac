"""A failed run's message is the error's own line ("SyntaxError: expected ':'", a Java
exception, a Node error, the compiler's first error), not "exited with code 1"; the
status stays what it was."""

from __future__ import annotations

import pytest

from coding import runner
from coding.error_lines import compile_error_line, failure_line, runtime_error_line
from coding.languages import get_language
from coding.sandbox.base import Status
from tests.coding.sandbox_support import RunTracker, quick_limits

PY_SYNTAX = 'File "/work/main.py", line 1\n    if x\n        ^\nSyntaxError: expected \':\'\n'
PY_TRACEBACK = ('Traceback (most recent call last):\n  File "/work/main.py", line 1, in <module>\n'
                "    print(1/0)\n          ~^~\nZeroDivisionError: division by zero\n")
NODE = ("/work/main.js:2\na.b.c = 1;\n  ^\n\nTypeError: Cannot read properties of undefined (reading 'b')\n"
        "    at Object.<anonymous> (/work/main.js:2:3)\n"
        "    at Module._compile (node:internal/modules/cjs/loader:1521:14)\n\nNode.js v20.20.2\n")
JAVA = 'Exception in thread "main" java.lang.ArithmeticException: / by zero\n\tat Main.main(Main.java:3)\n'
GCC = ("main.c: In function 'main':\nmain.c:1:25: error: 'x' undeclared (first use in this function)\n"
       "    1 | int main(void) { return x }\n      |                         ^\n"
       "main.c:1:26: error: expected ';' before '}' token\n")
JAVAC = 'Main.java:1: error: incompatible types: String cannot be converted to int\nclass Main { int x = "s"; }\n'
TSC = "main.ts(1,5): error TS2322: Type 'string' is not assignable to type 'number'.\n"


@pytest.mark.parametrize(("language", "output", "line"), [
    ("python", PY_SYNTAX, "SyntaxError: expected ':'"),
    ("python", PY_TRACEBACK, "ZeroDivisionError: division by zero"),
    ("python", "\x1b[31mValueError: bad\x1b[0m\r\n", "ValueError: bad"),
    ("javascript", NODE, "TypeError: Cannot read properties of undefined (reading 'b')"),
    ("typescript", "Error [ERR_X]: nope\n    at f (/build/main.js:1:1)\n", "Error [ERR_X]: nope"),
    ("java", JAVA, "java.lang.ArithmeticException: / by zero"),
    ("python", "just some output\n", None),
    ("c", "Segmentation fault\n", None),
])  # fmt: skip
def test_it_finds_the_line_that_names_a_runtime_error(language: str, output: str, line: str | None) -> None:
    assert runtime_error_line(get_language(language), output.encode()) == line


def test_a_line_the_student_typed_is_not_the_programs_error() -> None:
    transcript = b"Your name? ValueError: me\r\nValueError: me\r\nbye\r\n"
    assert runtime_error_line(get_language("python"), transcript, b"ValueError: me\r") is None


@pytest.mark.parametrize(("language", "output", "line"), [
    ("c", GCC, "main.c:1:25: error: 'x' undeclared (first use in this function)"),
    ("cpp", GCC.replace("main.c", "main.cpp"), "main.cpp:1:25: error: 'x' undeclared (first use in this function)"),
    ("java", JAVAC, "Main.java:1: error: incompatible types: String cannot be converted to int"),
    ("typescript", TSC, TSC.strip()),
])  # fmt: skip
def test_it_finds_the_compilers_first_error(language: str, output: str, line: str) -> None:
    assert compile_error_line(get_language(language), output) == line


def test_a_run_recorded_before_messages_named_errors_gets_its_line_from_the_output() -> None:
    tail = "hello\r\n" + PY_SYNTAX.replace("\n", "\r\n")
    assert failure_line(status="runtime-error", message="exited with code 1", output_tail=tail,
                        language="python") == "SyntaxError: expected ':'"
    # A message that already says what happened (a limit, a signal) is kept.
    assert failure_line(status="runtime-error", message="killed by signal SIGSEGV", output_tail=tail,
                        language="python") == "killed by signal SIGSEGV"
    compiled = failure_line(status="compile-error", message=GCC, output_tail="", language="c")
    assert compiled == "main.c:1:25: error: 'x' undeclared (first use in this function)"
    assert failure_line(status="timeout", message="time limit (5 s) exceeded", output_tail="",
                        language="nonesuch") == "time limit (5 s) exceeded"


@pytest.mark.sandbox
@pytest.mark.timeout(120)
@pytest.mark.parametrize(("language", "name", "source", "message"), [
    ("python", "main.py", "print('before')\nif x\n    pass\n", "SyntaxError: expected ':'"),
    ("python", "main.py", "import sys\nprint(1)\nsys.exit(3)\n", "exited with code 3"),
    ("javascript", "main.js", "let a;\na.b.c = 1;\n", "TypeError: Cannot read properties of undefined (reading 'b')"),
    ("java", "Main.java", "public class Main { public static void main(String[] a) { System.out.println(1 / 0); } }\n",
     "java.lang.ArithmeticException: / by zero"),
])  # fmt: skip
async def test_a_real_failed_run_says_what_went_wrong(
    bwrap: RunTracker, language: str, name: str, source: str, message: str
) -> None:
    result = await runner.run_batch(language=language, files=[(name, source)], limits=quick_limits(language))
    assert result.status == Status.RUNTIME_ERROR, result
    assert result.message == message
