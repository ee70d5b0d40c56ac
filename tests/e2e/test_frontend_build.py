"""The browser suite rebuilds the app when its sources changed since the last build."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.server import build_is_stale


def touch(path: Path, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (mtime, mtime))
    return path


def make_tree(tmp_path: Path, *, built_at: float, source_at: float) -> tuple[Path, Path]:
    frontend = tmp_path / "frontend"
    touch(frontend / "src" / "teacher" / "Dashboard.tsx", source_at)
    touch(frontend / "package.json", source_at)
    index = touch(tmp_path / "static" / "app" / "index.html", built_at)
    return index, frontend


def test_it_keeps_a_build_newer_than_every_source(tmp_path: Path) -> None:
    index, frontend = make_tree(tmp_path, built_at=2_000, source_at=1_000)
    assert build_is_stale(index=index, frontend=frontend) is False


def test_it_rebuilds_when_a_source_is_newer_than_the_build(tmp_path: Path) -> None:
    index, frontend = make_tree(tmp_path, built_at=2_000, source_at=1_000)
    touch(frontend / "src" / "operator" / "ExecutionsTable.tsx", 3_000)
    assert build_is_stale(index=index, frontend=frontend) is True
    os.utime(frontend / "src" / "operator" / "ExecutionsTable.tsx", (1_500, 1_500))
    touch(frontend / "vite.config.ts", 2_500)
    assert build_is_stale(index=index, frontend=frontend) is True


def test_it_rebuilds_when_there_is_no_build(tmp_path: Path) -> None:
    index, frontend = make_tree(tmp_path, built_at=2_000, source_at=1_000)
    index.unlink()
    assert build_is_stale(index=index, frontend=frontend) is True


def test_it_ignores_test_files_newer_than_the_build(tmp_path: Path) -> None:
    index, frontend = make_tree(tmp_path, built_at=2_000, source_at=1_000)
    touch(frontend / "src" / "teacher" / "Dashboard.test.tsx", 3_000)
    touch(frontend / "src" / "test" / "render.tsx", 3_000)
    assert build_is_stale(index=index, frontend=frontend) is False
