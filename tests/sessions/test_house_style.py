"""House style: the apps' views parse, authorize and call one selector or service (no
ORM in them), and the sessions app has no leftovers of moving code around."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import sessions

APP = Path(sessions.__file__).parent
ROOT = APP.parent
MODULES = sorted(p for p in APP.rglob("*.py") if "migrations" not in p.parts)


def _views(patterns: list[Any]) -> Iterator[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            yield getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback


def _view_modules() -> list[Path]:
    """Every module of the project's apps that defines a view the URLconf routes to (but
    the Django admin's, whose ModelAdmins query by design)."""
    importlib.import_module("observer.urls")
    paths = {Path(sys.modules[view.__module__].__file__ or "") for view in _views(get_resolver().url_patterns)}
    return sorted(p for p in paths if ROOT in p.parents and ".venv" not in p.parts
                  and p.parent != ROOT / "observer" and p.name != "admin.py")


VIEWS = _view_modules()


def test_the_view_modules_are_found() -> None:
    found = {str(p.relative_to(ROOT)) for p in VIEWS}
    assert {"sessions/api/sessions.py", "sessions/live/views.py", "sessions/terminal/api.py", "accounts/views.py",
            "monitoring/views.py"} <= found


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_views_query_through_selectors(path: Path) -> None:
    source = path.read_text()
    name = path.relative_to(ROOT)
    assert not re.search(r"\.objects\b|session_queryset\(", source), f"{name} queries the ORM itself"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(APP)))
def test_no_runs_of_blank_lines(path: Path) -> None:
    assert "\n\n\n\n" not in path.read_text(), f"{path.relative_to(APP)} has more than two blank lines in a row"
