"""What the assistant is told: the file and line an error names, in every language the
sandbox runs; the policy in the system prompt; code blocks found under hints only."""

from __future__ import annotations

import pytest

from assist.prompts import breaks_policy, locate, system_prompt


@pytest.mark.parametrize(
    ("output", "where"),
    [('Traceback (most recent call last):\n  File "/work/main.py", line 4, in <module>\nNameError', ("main.py", 4)),
     ("/work/main.js:7\n  foo(\n  ^\nReferenceError: foo is not defined\n    at Object.<anonymous> (/work/main.js:7:3)",
      ("main.js", 7)),
     ("main.ts(3,5): error TS2304: Cannot find name 'x'.", ("main.ts", 3)),
     ("main.c:12:5: error: expected ';' before 'return'", ("main.c", 12)),
     ("main.cpp:2:1: error: 'x' was not declared", ("main.cpp", 2)),
     ("Main.java:9: error: ';' expected", ("Main.java", 9)),
     ('Exception in thread "main" java.lang.ArithmeticException: / by zero\n\tat Main.main(Main.java:5)',
      ("Main.java", 5)),
     ("Segmentation fault (core dumped)", None),
     ('  File "/usr/lib/python3.11/json/__init__.py", line 3', None)],  # not the student's file
)  # fmt: skip
def test_it_finds_the_students_file_and_line_in_every_language(output: str, where: tuple[str, int] | None) -> None:
    names = {"main.py", "main.js", "main.ts", "main.c", "main.cpp", "Main.java"}
    assert locate(output, names) == where


def test_the_policy_is_in_the_system_prompt() -> None:
    assert "Never write code" in system_prompt(mode="hints", language="python")
    assert "do not write the corrected program" in system_prompt(mode="explain", language="java")
    assert "may explain, suggest fixes" in system_prompt(mode="full", language="c")


@pytest.mark.parametrize(
    ("answer", "breaks"),
    [("Look at line 3.", False), ("Use `print` there.", False), ("Try:\n```\nx = 1\n```", True),
     ("Try:\n~~~\nx\n~~~", True), ("Like this:\n\n    x = 1\n", True),
     ("Steps:\n- read the line\n    - then the colon\n\n    - and the indent", False)],
)  # fmt: skip
def test_code_blocks_break_hints_only(answer: str, breaks: bool) -> None:
    assert breaks_policy(mode="hints", answer=answer) is breaks
    assert breaks_policy(mode="full", answer=answer) is False
