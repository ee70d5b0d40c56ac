"""CPU readings are shared by every thread: a health check in a fresh worker thread sees
the machine's real use, not psutil's per-thread "first call" 0%."""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Iterator

import pytest

from monitoring import resources

CpuTimes = namedtuple("CpuTimes", "user nice system idle iowait irq softirq steal guest guest_nice")


@pytest.fixture
def cpu_times(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[CpuTimes]]:
    """The machine's CPU times, as the test sets them (the last one is what psutil reads)."""
    samples = [CpuTimes(100.0, 0.0, 50.0, 800.0, 50.0, 0.0, 0.0, 0.0, 0.0, 0.0)]
    monkeypatch.setattr(resources.psutil, "cpu_times", lambda percpu=False: samples[-1])
    monkeypatch.setattr(resources, "_cpu_reading", None)
    monkeypatch.setattr(resources, "_cpu_sample", None)
    yield samples


def in_new_thread() -> float:
    result: list[float] = []
    worker = threading.Thread(target=lambda: result.append(resources.cpu_percent()))
    worker.start()
    worker.join()
    return result[0]


def test_it_reads_real_cpu_use_from_a_thread_that_never_asked_before(cpu_times: list[CpuTimes]) -> None:
    resources.prime()
    # 100 s pass: 30 s busy (user + system), 10 s waiting for I/O, 60 s idle.
    cpu_times.append(CpuTimes(120.0, 0.0, 60.0, 860.0, 60.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    assert in_new_thread() == 30.0


def test_it_shares_one_reading_a_second_across_threads(
    cpu_times: list[CpuTimes], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(resources.time, "monotonic", lambda: clock[0])
    resources.prime()
    cpu_times.append(CpuTimes(190.0, 0.0, 50.0, 810.0, 50.0, 0.0, 0.0, 0.0, 0.0, 0.0))  # 90 of 100 s busy
    assert resources.cpu_percent() == 90.0
    cpu_times.append(CpuTimes(190.0, 0.0, 50.0, 910.0, 50.0, 0.0, 0.0, 0.0, 0.0, 0.0))  # then idle
    clock[0] += 0.5
    assert in_new_thread() == 90.0  # within the second: the same reading
    clock[0] += 1.0
    assert in_new_thread() == 0.0  # the idle 100 s since


def test_it_counts_guest_time_once(cpu_times: list[CpuTimes]) -> None:
    resources.prime()
    # Linux counts guest time inside user time: 10 s of guest work is 10 s busy, not 20.
    cpu_times.append(CpuTimes(110.0, 0.0, 50.0, 890.0, 50.0, 0.0, 0.0, 0.0, 10.0, 0.0))
    assert resources.cpu_percent() == 10.0
