"""How a program's output is compared with a case's expected output, on the server
(the expected output never enters the sandbox)."""

from __future__ import annotations

import math
import re

from exercises.models import Comparison


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(*, output: str, expected: str, comparison: str, tolerance: float | None = None) -> bool:
    if comparison == Comparison.EXACT:
        return output == expected
    if comparison == Comparison.TRAILING_WHITESPACE:
        return _lines(output) == _lines(expected)
    if comparison == Comparison.NUMERIC:
        got, want = output.split(), expected.split()
        if len(got) != len(want):
            return False
        try:
            pairs = [(float(a), float(b)) for a, b in zip(got, want, strict=True)]
        except ValueError:
            return False
        limit = tolerance or 0.0
        return all(math.isfinite(a) and abs(a - b) <= limit for a, b in pairs)
    if comparison == Comparison.REGEX:
        # The whole output (trailing whitespace aside) must match, not just a part of it.
        return re.fullmatch(expected.rstrip("\n"), output.rstrip(), flags=re.DOTALL) is not None
    raise ValueError(f"unknown comparison {comparison!r}")


def first_difference(*, output: str, expected: str) -> dict[str, object] | None:
    """Where a sample case's output first differs, line by line: for a readable diff."""
    got, want = _lines(output), _lines(expected)
    for index in range(max(len(got), len(want))):
        a = got[index] if index < len(got) else None
        b = want[index] if index < len(want) else None
        if a != b:
            return {"line": index + 1, "expected": b, "got": a}
    return None
