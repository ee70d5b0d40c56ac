"""The bubblewrap step's own process handling, below the runner."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from coding.sandbox import get_backend
from coding.sandbox.base import Limits, SourceFile, StepSpec
from coding.sandbox.bubblewrap import BubblewrapStep
from tests.coding.sandbox_support import RunTracker, alive

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(60)]


async def test_it_never_signals_a_pid_that_may_have_been_reused(
    bwrap: RunTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = StepSpec(argv=("/usr/bin/sleep", "30"), files=(SourceFile("main.py", b""),),
                    limits=Limits())
    step = await get_backend("bubblewrap").start(spec)
    assert isinstance(step, BubblewrapStep)
    for _ in range(500):
        if step.program_pgid() is not None:
            break
        await asyncio.sleep(0.01)
    init_pid = step.init_pid
    assert init_pid is not None and alive(init_pid)
    step.kill()
    outcome = await step.wait()
    assert outcome.signal == signal.SIGKILL or outcome.exit_code == 128 + signal.SIGKILL
    assert not alive(init_pid) and not alive(step.pid)

    # From now on both numbers may name unrelated processes: nothing may signal them.
    sent: list[tuple[str, int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append(("kill", pid, sig)))
    monkeypatch.setattr(os, "killpg", lambda pgid, sig: sent.append(("killpg", pgid, sig)))
    step.kill_tree()
    step.signal_program(signal.SIGINT)
    step.resize(30, 100)
    assert step.program_pgid() is None
    step.release()
    assert [call for call in sent if call[1] in (init_pid, step.pid)] == []
