"""Host-side writes into run directories never follow symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coding.sandbox import workdir
from coding.sandbox.base import SourceFile


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    target = tmp_path / "host-file"
    target.write_text("precious")
    return target


def test_it_writes_files_and_subdirectories(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    workdir.write_files(str(run), [SourceFile("main.py", b"print(1)"), SourceFile("pkg/util.py", b"x")])
    assert (run / "main.py").read_bytes() == b"print(1)"
    assert (run / "pkg" / "util.py").read_bytes() == b"x"


def test_it_refuses_a_symlink_planted_before_the_write(tmp_path: Path, victim: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "main.py").symlink_to(victim)
    with pytest.raises(OSError):
        workdir.write_files(str(run), [SourceFile("main.py", b"evil")])
    assert victim.read_text() == "precious"


def test_it_refuses_a_symlinked_directory_on_the_path(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    run = tmp_path / "run"
    run.mkdir()
    (run / "pkg").symlink_to(outside)
    with pytest.raises(OSError):
        workdir.write_files(str(run), [SourceFile("pkg/util.py", b"evil")])
    assert list(outside.iterdir()) == []


def test_it_refuses_a_run_dir_that_is_itself_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "run").symlink_to(outside)
    with pytest.raises(OSError):
        workdir.write_files(str(tmp_path / "run"), [SourceFile("main.py", b"evil")])
    assert list(outside.iterdir()) == []


def test_it_removes_a_run_dir_without_following_symlinks_planted_after_the_run(
    tmp_path: Path, victim: Path
) -> None:
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "data").write_text("keep me")
    run = tmp_path / "run"
    (run / "sub").mkdir(parents=True)
    (run / "link-to-file").symlink_to(victim)
    (run / "link-to-dir").symlink_to(keep)
    (run / "sub" / "link-up").symlink_to(tmp_path)
    (run / "sub").chmod(0o500)  # a program may leave a directory it made read-only
    workdir.remove_tree(str(run))
    assert not run.exists()
    assert victim.read_text() == "precious"
    assert (keep / "data").read_text() == "keep me"


def test_it_makes_private_dirs_under_the_work_root(settings: object, tmp_path: Path) -> None:
    settings.SANDBOX_WORK_ROOT = str(tmp_path / "root")  # type: ignore[attr-defined]
    path = workdir.make_private_dir("build-", owner=(os.getuid(), os.getgid()))
    assert Path(path).parent == tmp_path / "root"
    assert Path(path).stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "root").stat().st_mode & 0o777 == 0o711


def test_it_refuses_a_work_root_someone_else_planted(settings: object, tmp_path: Path) -> None:
    from coding.sandbox.base import SandboxError

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "root").symlink_to(elsewhere)
    settings.SANDBOX_WORK_ROOT = str(tmp_path / "root")  # type: ignore[attr-defined]
    with pytest.raises(SandboxError, match="not a symlink"):
        workdir.make_private_dir("build-")
    (tmp_path / "root").unlink()
    (tmp_path / "root").mkdir(mode=0o777)
    (tmp_path / "root").chmod(0o777)
    with pytest.raises(SandboxError, match="no one else can write"):
        workdir.make_private_dir("build-")
