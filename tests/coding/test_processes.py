"""The host side of a child's exit: wait_pid reaps every child it waits for, even when
the event loop never reports its pidfd as readable."""

from __future__ import annotations

import asyncio
import os
import subprocess

import pytest

from coding.sandbox import processes


def _child(*argv: str) -> int:
    proc = subprocess.Popen(argv)
    proc.returncode = 0  # wait_pid reaps it, not Popen
    return proc.pid


async def test_it_reaps_a_child_and_reports_its_exit_code() -> None:
    pid = _child("sh", "-c", "exit 3")
    info = await asyncio.wait_for(processes.wait_pid(pid), 30)
    assert (info.exit_code, info.signal) == (3, None) and info.rusage is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left


async def test_it_reaps_a_child_whose_exit_the_loop_never_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """A readiness report lost (an fd number reused under the selector) must not leave the
    child a zombie and its run waiting for good: the wait looks again by itself."""
    told: list[int] = []

    async def never(fd: int) -> None:
        told.append(fd)
        await asyncio.Event().wait()

    monkeypatch.setattr(processes, "readable", never)
    monkeypatch.setattr(processes, "EXIT_RECHECK_SECONDS", 0.05)
    info = await asyncio.wait_for(processes.wait_pid(_child("sh", "-c", "sleep 0.2; exit 7")), 30)
    assert (info.exit_code, info.signal) == (7, None)
    assert told, "it waited on the pidfd first"
