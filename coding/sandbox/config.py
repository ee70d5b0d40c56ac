"""Sandbox settings, read from Django settings when configured, else defaults.

Reading through :func:`setting` keeps the sandbox importable (and testable) without
Django, and keeps every ``SANDBOX_*`` name in one place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # "bubblewrap" | "podman" | "fake" | "unsandboxed" (development only, see below)
    "SANDBOX_BACKEND": "bubblewrap",
    # The only way to run student code without isolation. Never set in production.
    "SANDBOX_ALLOW_UNSANDBOXED_DEVELOPMENT_ONLY": False,
    # Overrides of coding.sandbox.base.Limits fields for every run step.
    "SANDBOX_LIMITS": {},
    # Overrides applied on top for interactive runs.
    "SANDBOX_INTERACTIVE_LIMITS": {"wall_seconds": 1800.0, "idle_seconds": 300.0},
    # Overrides per language: {"java": {"memory_bytes": ...}}.
    "SANDBOX_LANGUAGE_LIMITS": {},
    # Overrides for compile steps (all languages).
    "SANDBOX_COMPILE_LIMITS": {},
    # Host directory for per-run build directories (compiled programs).
    "SANDBOX_WORK_ROOT": "/var/tmp/observer-sandbox",
    # Where `npm ci --prefix runtimes` installed TypeScript.
    "SANDBOX_RUNTIMES_DIR": str(Path(__file__).resolve().parents[2] / "runtimes"),
    # uid/gid inside podman's containers (podman: --user).
    "SANDBOX_UID": 65534,
    "SANDBOX_GID": 65534,
    # bubblewrap, server as root: each sandbox runs as host uid (and gid) BASE + slot,
    # a slot per concurrent sandbox on the whole machine (coding/sandbox/uids.py).
    "SANDBOX_UID_BASE": 1_000_000_000,
    "SANDBOX_UID_COUNT": 1024,
    "SANDBOX_UID_LOCK_DIR": "/run/observer-sandbox/uid-slots",
    # The seccomp filter scripts/install builds from coding/sandbox/policy.py.
    "SANDBOX_SECCOMP_FILTER": str(Path(__file__).resolve().parents[2] / "var" / "sandbox" / "seccomp.bpf"),
    # Quota of a run's /build (a tmpfs of its own when the server is root).
    "SANDBOX_BUILD_BYTES": 64 * 1024 * 1024,
    "SANDBOX_BUILD_INODES": 4096,
    # Compiled programs kept in memory (per server process) for byte-identical sources,
    # compiler and flags, so a class running the same starter compiles it once; 0 = off.
    "SANDBOX_BUILD_CACHE_BYTES": 64 * 1024 * 1024,
    # cgroup handling: "auto" | "v1" | "v2" | "none".
    "SANDBOX_CGROUP": "auto",
    # Name of the cgroup (v1: under each controller; v2: under the server's cgroup
    # unless SANDBOX_CGROUP_V2_PARENT names an absolute delegated cgroup directory).
    "SANDBOX_CGROUP_NAME": "observer-sandbox",
    "SANDBOX_CGROUP_V2_PARENT": "",
    # CPU cores one run may use (cgroup CPU quota); 0 disables the quota.
    "SANDBOX_CPU_QUOTA": 1.0,
    # The same for compile steps: tsc and javac use several threads (a 1-core quota
    # made TypeScript compiles 40% slower here); CPU time stays capped by the limits.
    "SANDBOX_COMPILE_CPU_QUOTA": 2.0,
    "SANDBOX_BWRAP": "bwrap",
    # Warm pool (bubblewrap): sandboxes kept fully started per kind of step (layout,
    # pipes or terminal), so a run only hands over its files; 0 disables it.
    "SANDBOX_WARM_POOL": 2,
    # An idle warm sandbox older than this is destroyed (and replaced only on demand).
    "SANDBOX_WARM_POOL_IDLE_SECONDS": 300.0,
    # No refill while this many steps run in this process (the machine is busy).
    "SANDBOX_WARM_POOL_BUSY": max(2, 2 * (os.cpu_count() or 1)),
    # The warm sandboxes' launcher, built by scripts/install (no launcher: no pool).
    "SANDBOX_LAUNCHER": str(Path(__file__).resolve().parents[2] / "var" / "sandbox" / "observer-launcher"),
    "SANDBOX_PODMAN": "podman",
    # Image or skeleton rootfs directory for the podman backend (deploy/podman/).
    "SANDBOX_PODMAN_IMAGE": "",
    "SANDBOX_PODMAN_ROOTFS": "/var/lib/observer/podman-rootfs",
    "SANDBOX_PODMAN_CONTAINERS_CONF": str(
        Path(__file__).resolve().parents[2] / "deploy" / "podman" / "containers.conf"
    ),
}


def setting(name: str) -> Any:
    """The Django setting ``name`` if Django is configured, else its default.

    ``OBSERVER_<name>`` in the environment wins when Django is not configured, so the
    pure-Python tests and benchmark can switch backends.
    """
    default = DEFAULTS[name]
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is a dependency
        settings = None  # type: ignore[assignment]
    if settings is not None and settings.configured:
        return getattr(settings, name, default)
    env = os.environ.get(f"OBSERVER_{name}")
    if env is None:
        return default
    if isinstance(default, bool):
        return env.lower() in {"1", "true", "yes"}
    if isinstance(default, int | float) and not isinstance(default, bool):
        return type(default)(env)
    return env
