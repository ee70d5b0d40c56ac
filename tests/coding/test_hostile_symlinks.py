"""Hostile programs and hosts that plant symlinks or write where they must not, on
the real bubblewrap backend: the host never follows a link a run could plant, and
the run cannot write into what the host keeps."""

from __future__ import annotations

import os

import pytest

from coding import runner
from coding.sandbox.base import Status
from tests.coding.sandbox_support import Canary, RunTracker, assert_unharmed, quick_limits

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(60)]


async def run_python(source: str, **limits: object) -> runner.RunResult:
    return await runner.run_batch(language="python", files=[("main.py", source)],
                                  limits=quick_limits(**limits))


async def test_it_cannot_write_into_the_build_dir_of_a_compiled_run(
    bwrap: RunTracker, canary: Canary
) -> None:
    source = (
        '#include <stdio.h>\nint main(void) {\n'
        '  FILE *f = fopen("/build/evil", "w");\n'
        '  FILE *g = fopen("/build/main", "w");\n'
        '  printf("%s %s\\n", f ? "wrote" : "blocked", g ? "wrote" : "blocked");\n'
        "  return 0; }\n"
    )
    result = await runner.run_batch(language="c", files=[("main.c", source)])
    assert result.status == Status.OK, result
    assert result.stdout == b"blocked blocked\n"
    await assert_unharmed(bwrap, canary)


async def test_it_never_follows_symlinks_planted_in_the_work_dir(
    bwrap: RunTracker, canary: Canary
) -> None:
    target = str(canary.path)
    source = (
        "import os\n"
        f"os.symlink({target!r}, '/work/planted')\n"
        f"os.symlink({target!r}, '/tmp/planted')\n"
        "os.remove('/work/main.py')\n"
        f"os.symlink({target!r}, '/work/main.py')\n"
        "os.symlink('/', '/work/rootlink')\n"
        "print(sorted(os.listdir('/work')))\n"
    )
    result = await run_python(source)
    assert result.status == Status.OK, result
    # The next run gets fresh files: nothing of the previous tmpfs (or its links) remains.
    again = await run_python("import os\nprint(sorted(os.listdir('.')))\n")
    assert again.stdout == b"['main.py']\n"
    await assert_unharmed(bwrap, canary)


async def test_it_never_follows_a_symlink_planted_in_the_build_dir_before_the_run(
    bwrap: RunTracker, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coding.sandbox import get_backend

    backend = get_backend("bubblewrap")
    make_build_dir = backend.make_build_dir  # the tracker's wrapper: the dir stays tracked

    async def planted() -> str:
        path = await make_build_dir()
        os.symlink(canary.path, os.path.join(path, "main"))  # where gcc will write
        return path

    with monkeypatch.context() as patch:  # undoes only this patch, not the tracker's
        patch.setattr(backend, "make_build_dir", planted)
        result = await runner.run_batch(language="c", files=[("main.c", "int main(void) { return 0; }\n")])
    # Inside the sandbox the link points nowhere (the host path does not exist there).
    assert result.status == Status.COMPILE_ERROR, result
    assert "cannot open output file /build/main" in result.message
    assert len(bwrap.build_dirs) == 1
    await assert_unharmed(bwrap, canary)
    assert len(bwrap.steps) == 2  # the compile step above and the normal run after it
