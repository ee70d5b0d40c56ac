"""Layering: the project's base package `observer/` depends on no app. The apps plug
into it (signals, hooks registered in their AppConfig.ready); only the composition
root (settings, URL and socket routing, the ASGI entry point) names them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

import observer

BASE = Path(observer.__file__).parent
COMPOSITION_ROOT = {"settings.py", "urls.py", "routing.py", "asgi.py", "wsgi.py"}
APPS = {name.split(".")[0] for name in settings.INSTALLED_APPS if not name.startswith(("django", "rest_framework"))}
PROJECT_APPS = {app for app in APPS if (BASE.parent / app / "apps.py").exists()}
MODULES = sorted(p for p in BASE.rglob("*.py") if p.name not in COMPOSITION_ROOT)


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_apps_are_found() -> None:
    assert {"accounts", "sessions", "coding", "monitoring"} <= PROJECT_APPS


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BASE)))
def test_base_package_imports_no_app(path: Path) -> None:
    apps = sorted({name for name in imported_modules(path) if name.split(".")[0] in PROJECT_APPS})
    assert not apps, f"observer/{path.relative_to(BASE)} imports {apps}: register a hook from the app instead"


# --- between the apps: imports go one way ------------------------------------------------------


def _app_imports() -> dict[str, set[str]]:
    """For each project app, the other project apps its modules import (migrations
    aside: they name other apps' migrations, not their code)."""
    graph: dict[str, set[str]] = {app: set() for app in PROJECT_APPS}
    for app in PROJECT_APPS:
        for path in (BASE.parent / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            graph[app] |= {name.split(".")[0] for name in imported_modules(path)} & PROJECT_APPS - {app}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph (as a path that returns to its start), or []."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = "done"
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return []


def test_the_apps_import_each_other_one_way_only() -> None:
    cycle = _cycle(_app_imports())
    assert not cycle, f"the apps import each other in a circle: {' -> '.join(cycle)}"


def test_code_running_knows_nothing_of_classrooms() -> None:
    """coding (the sandbox, the run service, the runs' record) is below sessions: the
    classroom drives runs, a run never reaches into the classroom (exercises and the
    execution API start runs without one)."""
    assert "sessions" not in _app_imports()["coding"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
