"""System resources of this machine and this server process, via psutil."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from monitoring.conf import conf, disk_paths

HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
_RANK = {HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2}


def worst(statuses: list[str]) -> str:
    return max(statuses, key=_RANK.__getitem__, default=HEALTHY)


def level(percent: float) -> str:
    """healthy / degraded / unhealthy for a usage percentage, by the configured thresholds."""
    if percent > float(conf("MONITORING_UNHEALTHY_PERCENT")):
        return UNHEALTHY
    if percent > float(conf("MONITORING_DEGRADED_PERCENT")):
        return DEGRADED
    return HEALTHY


# CPU use is measured between two samples of the machine's CPU times. psutil's own
# cpu_percent(interval=None) keeps its last sample per thread, so the first call from
# each new worker thread (health checks and dashboard pushes run in thread pools) says
# 0%. The samples are kept here instead, shared by every thread, and a reading is taken
# at most once a second: a check right after a push must not report the last few ms.
_CPU_MIN_INTERVAL = 1.0
_cpu_lock = threading.Lock()
_cpu_sample: Any = None  # the machine's CPU times at the last reading
_cpu_reading: tuple[float, float] | None = None  # (monotonic time, percent)


def _busy_and_total(times: Any) -> tuple[float, float]:
    # Linux counts guest time inside user time already; idle includes waiting for I/O.
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def prime() -> None:
    """Take the first CPU sample (at startup), so the first reading covers real time."""
    global _cpu_sample
    with _cpu_lock:
        _cpu_sample = psutil.cpu_times()


def cpu_percent() -> float:
    global _cpu_reading, _cpu_sample
    with _cpu_lock:
        now = time.monotonic()
        if _cpu_reading is not None and now - _cpu_reading[0] < _CPU_MIN_INTERVAL:
            return _cpu_reading[1]
        sample = psutil.cpu_times()
        percent = 0.0
        if _cpu_sample is not None:
            (busy0, total0), (busy1, total1) = _busy_and_total(_cpu_sample), _busy_and_total(sample)
            if total1 > total0:
                percent = round(min(100.0, max(0.0, 100.0 * (busy1 - busy0) / (total1 - total0))), 1)
        _cpu_sample = sample
        _cpu_reading = (now, percent)
        return percent


def _existing(path: str) -> str:
    candidate = Path(path)
    while not candidate.exists() and candidate != candidate.parent:
        candidate = candidate.parent
    return str(candidate)


def disk_usage() -> list[dict[str, Any]]:
    disks = []
    for path in disk_paths():
        usage = psutil.disk_usage(_existing(path))
        disks.append(
            {"path": path, "total": usage.total, "used": usage.used, "free": usage.free,
             "percent": usage.percent, "status": level(usage.percent)}
        )
    return disks


def system_resources() -> dict[str, Any]:
    cpu = cpu_percent()
    memory = psutil.virtual_memory()
    swap = psutil.swap_memory()
    process = psutil.Process()
    with process.oneshot():
        rss = process.memory_info().rss
        threads = process.num_threads()
        started = process.create_time()
        fds = process.num_fds() if hasattr(process, "num_fds") else None
    return {
        "cpu": {
            "percent": cpu,
            "count": psutil.cpu_count() or 1,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "status": level(cpu),
        },
        "memory": {
            "total": memory.total, "available": memory.available, "used": memory.used,
            "percent": float(memory.percent), "status": level(memory.percent),
        },
        "swap": {"total": swap.total, "used": swap.used, "percent": float(swap.percent)},
        "disks": disk_usage(),
        "process": {
            "pid": process.pid, "rss": rss, "threads": threads, "open_files": fds,
            "uptime_seconds": round(time.time() - started),
        },
        "boot_time": psutil.boot_time(),
        "thresholds": {
            "degraded_percent": float(conf("MONITORING_DEGRADED_PERCENT")),
            "unhealthy_percent": float(conf("MONITORING_UNHEALTHY_PERCENT")),
        },
    }


def headline() -> dict[str, Any]:
    """The few readings the live dashboard shows at the top, cheap enough for every push."""
    cpu = cpu_percent()
    memory = float(psutil.virtual_memory().percent)
    disk = max((d["percent"] for d in disk_usage()), default=0.0)
    return {
        "cpu_percent": cpu,
        "memory_percent": memory,
        "disk_percent": float(disk),
        "load_1m": round(os.getloadavg()[0], 2),
        "status": worst([level(cpu), level(memory), level(disk)]),
    }
