"""Monitoring settings: every ``MONITORING_*`` name and its default, in one place.

Each one is read from Django settings when present (so the environment-reading
settings module can set it), else the default below.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # /metrics: a bearer token Prometheus sends ("" = no token accepted) ...
    "MONITORING_METRICS_TOKEN": "",
    # ... or client addresses / networks (CIDR) allowed without one: the client's address as
    # rate limits see it (the proxy's last X-Forwarded-For hop only with TRUST_X_FORWARDED_FOR;
    # behind nginx the peer is nginx itself, which must not open the door to everyone).
    "MONITORING_METRICS_ALLOWED_IPS": ["127.0.0.1", "::1"],
    # Health: a figure (CPU, memory, disk %) above this is degraded, above the next unhealthy.
    "MONITORING_DEGRADED_PERCENT": 75.0,
    "MONITORING_UNHEALTHY_PERCENT": 90.0,
    # A dependency answering slower than this is degraded.
    "MONITORING_SLOW_CHECK_MS": 1000,
    # A dependency not answering within this is unhealthy.
    "MONITORING_CHECK_TIMEOUT_SECONDS": 5.0,
    # The language whose hello-world proves the sandbox runs programs.
    "MONITORING_SANDBOX_CHECK_LANGUAGE": "python",
    # Filesystems whose free space is checked (the database/app dir, the sandbox work root).
    "MONITORING_DISK_PATHS": [],
    # Live dashboard: seconds between pushes when nothing happens.
    "MONITORING_DASHBOARD_TICK_SECONDS": 5.0,
    # Figures ("last hour") window.
    "MONITORING_FIGURES_WINDOW_SECONDS": 3600,
    # A run still "running" after this long was left over by a dead process (the longest
    # run, an interactive one, is stopped after 30 minutes).
    "MONITORING_STALE_RUN_SECONDS": 3600,
    # Each process republishes its open WebSocket counts this often (to Redis).
    "MONITORING_CONNECTIONS_HEARTBEAT_SECONDS": 15.0,
    # One audit entry per lockout (scope, limit, who) within this many seconds.
    "MONITORING_LOCKOUT_AUDIT_SECONDS": 300,
    # The error list keeps at most this many rows (the newest), whatever their age.
    "MONITORING_ERROR_LIST_MAX_ROWS": 1000,
}


def conf(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def disk_paths() -> list[str]:
    """The configured paths, else the app directory and the sandbox work root."""
    configured = conf("MONITORING_DISK_PATHS")
    if configured:
        return [str(p) for p in configured]
    paths = [str(settings.BASE_DIR)]
    work_root = getattr(settings, "SANDBOX_WORK_ROOT", "")
    if work_root and work_root not in paths:
        paths.append(str(work_root))
    return paths
