"""Compiled programs reused for byte-identical sources (coding.sandbox.build_cache):
the second run of the same sources skips its compile step and runs the same program;
other sources, another compiler or other flags compile again; what is kept and
restored is only regular files and directories, never through a symlink."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from coding import runner
from coding.languages import get_language
from coding.sandbox import build_cache
from coding.sandbox.base import SourceFile, Status
from tests.coding.sandbox_support import RunTracker

C_HELLO = '#include <stdio.h>\nint main(void) { puts("hi from c"); return 0; }\n'
C_OTHER = '#include <stdio.h>\nint main(void) { puts("other"); return 0; }\n'


def _key(argv: tuple[str, ...], *sources: tuple[str, bytes]) -> str:
    return build_cache.key(get_language("c"), argv, [SourceFile(n, c) for n, c in sources])


def test_the_key_changes_with_any_source_byte_name_flag_or_language() -> None:
    argv = ("/usr/bin/gcc", "-O2", "main.c")
    base = _key(argv, ("main.c", b"int main(){}"))
    assert base == _key(argv, ("main.c", b"int main(){}"))
    assert base != _key(argv, ("main.c", b"int main(){ }"))
    assert base != _key(argv, ("other.c", b"int main(){}"))
    assert base != _key(("/usr/bin/gcc", "-O0", "main.c"), ("main.c", b"int main(){}"))
    assert base != _key(argv, ("main.c", b"int main(){}"), ("util.c", b""))
    assert base != build_cache.key(get_language("cpp"), argv, [SourceFile("main.c", b"int main(){}")])
    # A source boundary moved is another key, not the same bytes read differently.
    assert _key(argv, ("a.c", b"xy"), ("b.c", b"z")) != _key(argv, ("a.c", b"x"), ("b.c", b"yz"))


def test_a_build_dir_is_kept_with_its_modes_and_restored(tmp_path: Path) -> None:
    built = tmp_path / "built"
    (built / "pkg").mkdir(parents=True)
    (built / "main").write_bytes(b"\x7fELF")
    (built / "main").chmod(0o755)
    (built / "pkg" / "A.class").write_bytes(b"\xca\xfe")
    kept = build_cache.read(str(built), output=b"warning\r\n", max_bytes=1 << 20)
    assert kept is not None and {f.name for f in kept.files} == {"main", "pkg/A.class"}
    assert kept.executable == {"main"} and kept.output == b"warning\r\n"
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    build_cache.restore(kept, str(fresh))
    assert (fresh / "main").read_bytes() == b"\x7fELF" and os.stat(fresh / "main").st_mode & 0o111
    assert (fresh / "pkg" / "A.class").read_bytes() == b"\xca\xfe"
    assert not os.stat(fresh / "pkg" / "A.class").st_mode & 0o111


@pytest.mark.parametrize("plant", ["symlink", "fifo", "too_big"])
def test_a_build_dir_holding_anything_but_files_and_directories_is_not_kept(tmp_path: Path, plant: str) -> None:
    (tmp_path / "main").write_bytes(b"x" * 100)
    if plant == "symlink":
        (tmp_path / "passwd").symlink_to("/etc/passwd")
    elif plant == "fifo":
        os.mkfifo(tmp_path / "pipe")
    assert build_cache.read(str(tmp_path), output=b"", max_bytes=50 if plant == "too_big" else 1 << 20) is None


def test_restoring_never_writes_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "outside"
    target.write_text("untouched")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "main").symlink_to(target)
    kept = build_cache.Build((SourceFile("main", b"evil"),), frozenset(), b"")
    with pytest.raises(OSError):
        build_cache.restore(kept, str(fresh))
    assert target.read_text() == "untouched"


def test_the_least_recently_used_go_first_within_the_bytes(settings: Any) -> None:
    one = build_cache.Build((SourceFile("a", b"x" * 1000),), frozenset(), b"")
    settings.SANDBOX_BUILD_CACHE_BYTES = 3 * one.size
    for name in ("k1", "k2", "k3"):
        build_cache.put(name, one)
    assert build_cache.get("k1") is one  # now the most recently used
    build_cache.put("k4", one)
    assert build_cache.get("k2") is None and build_cache.get("k1") is one and build_cache.get("k4") is one
    settings.SANDBOX_BUILD_CACHE_BYTES = one.size - 1
    build_cache.put("k5", one)  # larger than the whole cache: not kept
    assert build_cache.get("k5") is None


@pytest.mark.sandbox
@pytest.mark.timeout(120)
async def test_a_second_run_of_the_same_sources_skips_the_compile_step(bwrap: RunTracker) -> None:
    first = await runner.run_batch(language="c", files=[("main.c", C_HELLO)])
    steps_first = len(bwrap.steps)
    second = await runner.run_batch(language="c", files=[("main.c", C_HELLO)])
    assert (first.status, first.stdout) == (second.status, second.stdout) == (Status.OK, b"hi from c\n")
    assert steps_first == 2 and len(bwrap.steps) == 3  # compile + run, then run alone
    other = await runner.run_batch(language="c", files=[("main.c", C_OTHER)])
    assert other.stdout == b"other\n" and len(bwrap.steps) == 5  # other sources compile again


@pytest.mark.sandbox
@pytest.mark.timeout(120)
async def test_a_terminal_run_from_the_cache_still_shows_the_compilers_warnings(bwrap: RunTracker) -> None:
    source = "#include <stdio.h>\nint main(void) { int unused; puts(\"ok\"); return 0; }\n"
    outputs = []
    for _ in range(2):
        run = await runner.start_interactive(language="c", files=[("main.c", source)])
        outputs.append(b"".join([chunk async for chunk in run.output()]))
        assert (await run.wait()).status == Status.OK
    assert all(b"unused" in out and b"ok" in out for out in outputs), outputs
    assert len(bwrap.steps) == 3


async def test_the_cache_can_be_turned_off(settings: Any, fake_sandbox: None) -> None:
    settings.SANDBOX_BUILD_CACHE_BYTES = 0
    for _ in range(2):
        assert (await runner.run_batch(language="c", files=[("main.c", C_HELLO)])).status == Status.OK
    assert not build_cache._entries  # on (the default), the fake's compile step would be kept


@pytest.mark.sandbox
@pytest.mark.timeout(120)
async def test_runs_of_sources_being_compiled_wait_for_that_compile(bwrap: RunTracker) -> None:
    import asyncio

    results = await asyncio.gather(*(runner.run_batch(language="c", files=[("main.c", C_HELLO)]) for _ in range(3)))
    assert [r.stdout for r in results] == [b"hi from c\n"] * 3
    compiles = [spec for spec in bwrap.specs if spec.build_writable]
    assert len(compiles) == 1 and len(bwrap.steps) == 4  # one compile, three runs


async def test_a_run_whose_leader_failed_compiles_on_its_own(fake_sandbox: None) -> None:
    import asyncio

    broken = "int main(void) { return 0; }\n// FAKE:compile-error\n"
    results = await asyncio.gather(*(runner.run_batch(language="c", files=[("main.c", broken)]) for _ in range(2)))
    assert [r.status for r in results] == [Status.COMPILE_ERROR] * 2  # a failure is never shared as a build
    assert not build_cache._entries and not build_cache._flights
