"""Settings read the environment in one place: data stores, proxy trust and the sandbox.

Each test loads observer.settings in a fresh interpreter with exactly the environment
given, and reads back what it chose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from coding.sandbox.config import DEFAULTS as SANDBOX_DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
_PRINT = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "observer.settings"
from django.conf import settings as s
names = {names!r}
print(json.dumps({{
    "database": s.DATABASES["default"]["ENGINE"],
    "channel_layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "channel_hosts": s.CHANNEL_LAYERS["default"].get("CONFIG", {{}}).get("hosts"),
    "cache": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"].get("LOCATION"),
    "cache_pool": s.CACHES["default"].get("OPTIONS", {{}}).get("pool_class"),
    **{{name: getattr(s, name) for name in names}},
}}))
"""
SANDBOX_NAMES = [
    "SANDBOX_WORK_ROOT", "SANDBOX_LIMITS", "SANDBOX_LANGUAGE_LIMITS", "SANDBOX_COMPILE_LIMITS",
    "SANDBOX_INTERACTIVE_LIMITS", "SANDBOX_CGROUP", "SANDBOX_CPU_QUOTA", "SANDBOX_COMPILE_CPU_QUOTA",
    "SANDBOX_UID", "SANDBOX_GID", "SANDBOX_PODMAN_IMAGE", "SANDBOX_PODMAN_ROOTFS",
    "SANDBOX_WARM_POOL", "SANDBOX_WARM_POOL_IDLE_SECONDS",
    "SANDBOX_UID_BASE", "SANDBOX_UID_COUNT", "SANDBOX_BUILD_BYTES", "SANDBOX_BUILD_INODES",
]  # fmt: skip
# Defaults that depend on the machine (its cores, the checkout's path): not in the env example.
MACHINE_NAMES = ["SANDBOX_WARM_POOL_BUSY", "SANDBOX_LAUNCHER"]


def _load(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SANDBOX_", "DJANGO_", "RUN_", "RUNS_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "TRUST_X_FORWARDED_FOR"}
    }
    code = _PRINT.format(names=[*SANDBOX_NAMES, *MACHINE_NAMES, "TRUST_X_FORWARDED_FOR", "RUN_LIMITS"])
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "OBSERVER_ENV_FILE": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _chosen(**env: str) -> dict[str, Any]:
    result = _load(**env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _refused(**env: str) -> str:
    result = _load(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_it_uses_sqlite_and_in_memory_layers_without_an_environment() -> None:
    chosen = _chosen()
    assert chosen["database"] == "django.db.backends.sqlite3"
    assert chosen["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert chosen["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_it_uses_postgresql_and_redis_when_their_urls_are_set() -> None:
    chosen = _chosen(DATABASE_URL="postgres://u:p@db.internal:5432/observer", REDIS_URL="redis://cache.internal:6379/2")
    assert chosen["database"] == "django.db.backends.postgresql"
    assert chosen["channel_layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert chosen["channel_hosts"] == ["redis://cache.internal:6379/2"]
    assert chosen["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert chosen["cache_location"] == "redis://cache.internal:6379/2"
    assert chosen["cache_pool"] == "observer.cache.SharedConnectionPool"  # one pool per process


def test_it_trusts_x_forwarded_for_only_when_told_to() -> None:
    assert _chosen()["TRUST_X_FORWARDED_FOR"] is False
    assert _chosen(TRUST_X_FORWARDED_FOR="true")["TRUST_X_FORWARDED_FOR"] is True


def test_it_defaults_every_sandbox_setting_as_the_sandbox_and_its_docs_do() -> None:
    chosen = _chosen()
    for name in [*SANDBOX_NAMES, *MACHINE_NAMES]:
        assert chosen[name] == SANDBOX_DEFAULTS[name], name
    assert chosen["SANDBOX_WORK_ROOT"] == "/var/tmp/observer-sandbox"
    docs = (ROOT / "docs" / "sandbox.md").read_text()
    assert '| `SANDBOX_WORK_ROOT` | `"/var/tmp/observer-sandbox"` |' in docs


def test_it_reads_every_sandbox_setting_from_the_environment() -> None:
    chosen = _chosen(
        SANDBOX_WORK_ROOT="/srv/sandbox",
        SANDBOX_LIMITS='{"wall_seconds": 20, "memory_bytes": 134217728}',
        SANDBOX_LANGUAGE_LIMITS='{"java": {"memory_bytes": 1073741824}}',
        SANDBOX_COMPILE_LIMITS='{"cpu_seconds": 40}',
        SANDBOX_INTERACTIVE_LIMITS='{"wall_seconds": 600, "idle_seconds": null}',
        SANDBOX_CGROUP="v2",
        SANDBOX_CPU_QUOTA="0.5",
        SANDBOX_COMPILE_CPU_QUOTA="0",
        SANDBOX_UID="2000",
        SANDBOX_GID="2001",
        SANDBOX_PODMAN_IMAGE="localhost/observer-runtime",
        SANDBOX_PODMAN_ROOTFS="/srv/rootfs",
        SANDBOX_UID_BASE="3000000",
        SANDBOX_UID_COUNT="64",
        SANDBOX_BUILD_BYTES="1048576",
        SANDBOX_BUILD_INODES="100",
    )
    assert chosen["SANDBOX_WORK_ROOT"] == "/srv/sandbox"
    assert chosen["SANDBOX_LIMITS"] == {"wall_seconds": 20, "memory_bytes": 134217728}
    assert chosen["SANDBOX_LANGUAGE_LIMITS"] == {"java": {"memory_bytes": 1073741824}}
    assert chosen["SANDBOX_COMPILE_LIMITS"] == {"cpu_seconds": 40}
    assert chosen["SANDBOX_INTERACTIVE_LIMITS"] == {"wall_seconds": 600, "idle_seconds": None}
    assert chosen["SANDBOX_CGROUP"] == "v2"
    assert (chosen["SANDBOX_CPU_QUOTA"], chosen["SANDBOX_COMPILE_CPU_QUOTA"]) == (0.5, 0.0)
    assert (chosen["SANDBOX_UID"], chosen["SANDBOX_GID"]) == (2000, 2001)
    assert chosen["SANDBOX_PODMAN_IMAGE"] == "localhost/observer-runtime"
    assert chosen["SANDBOX_PODMAN_ROOTFS"] == "/srv/rootfs"
    assert (chosen["SANDBOX_UID_BASE"], chosen["SANDBOX_UID_COUNT"]) == (3000000, 64)
    assert (chosen["SANDBOX_BUILD_BYTES"], chosen["SANDBOX_BUILD_INODES"]) == (1048576, 100)


def test_it_refuses_to_start_with_sandbox_limits_that_are_not_json() -> None:
    message = _refused(SANDBOX_LIMITS="{wall_seconds: 20}")
    assert "SANDBOX_LIMITS is not valid JSON" in message and "expected an object like" in message


def test_it_refuses_sandbox_limits_of_the_wrong_shape() -> None:
    assert "SANDBOX_COMPILE_LIMITS must be a JSON object" in _refused(SANDBOX_COMPILE_LIMITS="[1, 2]")
    assert "SANDBOX_LANGUAGE_LIMITS['java'] must be a JSON object" in _refused(SANDBOX_LANGUAGE_LIMITS='{"java": 5}')
    message = _refused(SANDBOX_INTERACTIVE_LIMITS='{"wall_seconds": "long"}')
    assert "SANDBOX_INTERACTIVE_LIMITS['wall_seconds'] must be a number or null" in message


def test_it_refuses_other_sandbox_settings_out_of_range() -> None:
    assert "SANDBOX_CGROUP must be auto, v1, v2 or none" in _refused(SANDBOX_CGROUP="v3")
    assert "SANDBOX_CPU_QUOTA must be a number" in _refused(SANDBOX_CPU_QUOTA="lots")
    assert "SANDBOX_COMPILE_CPU_QUOTA must not be negative" in _refused(SANDBOX_COMPILE_CPU_QUOTA="-1")
    assert "SANDBOX_UID must be a whole number" in _refused(SANDBOX_UID="65534.5")


def test_it_loads_the_sandbox_values_of_the_env_example_as_the_defaults() -> None:
    import shlex

    example = {}
    for line in (ROOT / "deploy" / "observer.env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if name.startswith("SANDBOX_"):
            words = shlex.split(value)  # quoting as systemd's EnvironmentFile= reads it
            example[name] = words[0] if words else ""
    assert set(SANDBOX_NAMES) <= set(example)
    chosen = _chosen(**example)
    for name in SANDBOX_NAMES:
        assert chosen[name] == SANDBOX_DEFAULTS[name], name


def test_it_reads_the_run_limits_and_the_warm_pool_from_the_environment() -> None:
    from coding.limits import DEFAULTS as RUN_DEFAULTS

    defaults = _chosen()["RUN_LIMITS"]
    names = ("window_seconds", "runs_per_window", "max_concurrent", "queue_max", "reserved_for_classes")
    assert defaults == {name: RUN_DEFAULTS[name] for name in names}
    chosen = _chosen(RUN_WINDOW_SECONDS="120", RUNS_PER_WINDOW="30", RUNS_MAX_CONCURRENT="12", RUN_QUEUE_MAX="90",
                     RUNS_RESERVED_FOR_CLASSES="4",
                     SANDBOX_WARM_POOL="0", SANDBOX_WARM_POOL_IDLE_SECONDS="60", SANDBOX_LAUNCHER="/opt/launcher")
    assert chosen["RUN_LIMITS"] == {"window_seconds": 120, "runs_per_window": 30, "max_concurrent": 12, "queue_max": 90,
                                    "reserved_for_classes": 4}
    assert (chosen["SANDBOX_WARM_POOL"], chosen["SANDBOX_WARM_POOL_IDLE_SECONDS"]) == (0, 60.0)
    assert chosen["SANDBOX_WARM_POOL_BUSY"] == 12  # follows the run cap unless set
    assert chosen["SANDBOX_LAUNCHER"] == "/opt/launcher"
    assert "RUNS_PER_WINDOW must be a whole number" in _refused(RUNS_PER_WINDOW="ten")
