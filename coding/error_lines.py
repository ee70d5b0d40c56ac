"""The one line that names what went wrong in a failed run: ``SyntaxError: expected ':'``,
``java.lang.ArithmeticException: / by zero``, ``main.c:3:5: error: expected ';' ...``.

A run's message and the teacher's analytics and export show it, so errors common to
the class stand out. Each language declares what its error lines look like
(``Language.error_line``, ``Language.compile_error_line``); this module only finds them.
"""

from __future__ import annotations

import re

from coding.languages import Language, get_language
from coding.sandbox.base import InvalidRun

# How much of the end of a program's output is searched (a traceback's last line is at
# its very end; Node's stack and version line after the error are ~1 KB).
TAIL_CHARS = 8192
MAX_CHARS = 300
# What a failed run's message said before it named the error (and still says without one).
_GENERIC = re.compile(r"(?:exited with code -?\d+)?")
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")


def _lines(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text[-TAIL_CHARS * 4:].decode("utf-8", "replace")
    return [line.rstrip() for line in _ESCAPE.sub("", text[-TAIL_CHARS:]).splitlines()]


def _shown(match: re.Match[str]) -> str:
    return (match.groupdict().get("error") or match.group(0)).strip()[:MAX_CHARS]


def runtime_error_line(language: Language, output: str | bytes, typed: str | bytes = b"") -> str | None:
    """The last line of ``output`` where the runtime names the error that ended the
    program, or None. ``typed`` is what the user typed into a terminal run: its echo is in
    the output too, and a line they typed is never taken for the program's error."""
    if language.error_line is None:
        return None
    pattern = re.compile(language.error_line)
    own = set(_lines(typed))
    for line in reversed(_lines(output)):
        if line and line not in own and (match := pattern.fullmatch(line)):
            return _shown(match)
    return None


def compile_error_line(language: Language, output: str | bytes) -> str | None:
    """The compiler's first error line (the one the others usually follow from), or None."""
    if language.compile_error_line is None:
        return None
    pattern = re.compile(language.compile_error_line)
    for line in _lines(output):
        if match := pattern.fullmatch(line):
            return _shown(match)
    return None


def failure_line(*, status: str, message: str | None, output_tail: str | None, language: str) -> str:
    """The one line that says what went wrong in a failed run, for people reading a list of
    them (analytics, export): the error's own line, else the first line of the message.
    Runs recorded before messages named the error get it from their output's tail."""
    try:
        lang: Language | None = get_language(language)
    except InvalidRun:
        lang = None
    line = None
    if lang is not None and status == "compile-error":
        line = compile_error_line(lang, message or "")
    elif lang is not None and status == "runtime-error" and _GENERIC.fullmatch((message or "").strip()):
        line = runtime_error_line(lang, output_tail or "")
    if not line:
        line = next((text.strip() for text in (message or "").splitlines() if text.strip()), "")
    if not line and output_tail:
        line = next((text.strip() for text in reversed(_lines(output_tail)) if text.strip()), "")
    return line[:MAX_CHARS]
