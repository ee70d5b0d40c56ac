"""Comparing a program's output with a case's expected output (on the server)."""

from __future__ import annotations

import pytest

from exercises.comparison import first_difference, matches

CASES = [
    ("exact", "5\n", "5\n", None, True),
    ("exact", "5", "5\n", None, False),
    ("exact", "5 \n", "5\n", None, False),
    ("trailing_whitespace", "5  \n\n\n", "5\n", None, True),
    ("trailing_whitespace", "a \r\nb\t\n", "a\nb", None, True),
    ("trailing_whitespace", " 5\n", "5\n", None, False),
    ("trailing_whitespace", "5\n6\n", "5\n", None, False),
    ("numeric", "3.14159\n2\n", "3.1416 2.0", 0.001, True),
    ("numeric", "3.2", "3.1416", 0.001, False),
    ("numeric", "1 2 3", "1 2", 0.5, False),
    ("numeric", "nan", "1", 10.0, False),
    ("numeric", "one", "1", 10.0, False),
    ("regex", "Result: 42\n", r"Result: \d+", None, True),
    ("regex", "Result: 42 and more\n", r"Result: \d+", None, False),
    ("regex", "a\nb\n", "a.b", None, True),
]


@pytest.mark.parametrize(("comparison", "output", "expected", "tolerance", "result"), CASES)
def test_it_compares_as_the_case_says(comparison: str, output: str, expected: str, tolerance: float | None,
                                      result: bool) -> None:  # fmt: skip
    assert matches(output=output, expected=expected, comparison=comparison, tolerance=tolerance) is result


def test_it_finds_the_first_differing_line() -> None:
    assert first_difference(output="1\n2\n4\n", expected="1\n2\n3\n") == {"line": 3, "expected": "3", "got": "4"}
    assert first_difference(output="1\n", expected="1\n2\n") == {"line": 2, "expected": "2", "got": None}
    assert first_difference(output="1  \n", expected="1\n") is None
