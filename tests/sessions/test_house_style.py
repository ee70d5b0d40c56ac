"""House style of the sessions app: views parse, authorize and call one selector or
service (no ORM in them), and no leftovers of moving code around."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sessions

APP = Path(sessions.__file__).parent
VIEWS = sorted((APP / "api").glob("*.py"))
MODULES = sorted(p for p in APP.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_views_query_through_selectors(path: Path) -> None:
    source = path.read_text()
    assert not re.search(r"\.objects\b|session_queryset\(", source), f"{path.name} queries the ORM itself"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(APP)))
def test_no_runs_of_blank_lines(path: Path) -> None:
    assert "\n\n\n\n" not in path.read_text(), f"{path.relative_to(APP)} has more than two blank lines in a row"
