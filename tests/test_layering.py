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
