"""System resources of this machine and this server process, via psutil."""

from __future__ import annotations

import os
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


def prime() -> None:
    """psutil's CPU percentage is measured between calls: make the first real one meaningful."""
    psutil.cpu_percent(interval=None)


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
    cpu_percent = float(psutil.cpu_percent(interval=None))
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
            "percent": cpu_percent,
            "count": psutil.cpu_count() or 1,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "status": level(cpu_percent),
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
