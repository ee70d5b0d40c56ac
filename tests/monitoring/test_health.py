"""/health (public) and /api/monitoring/health (admin): dependencies and thresholds."""

from __future__ import annotations

import socket
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connections
from django.test import Client, override_settings

from monitoring import health

pytestmark = pytest.mark.django_db

GB = 1024**3


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unreachable_database() -> dict[str, Any]:
    """The default database's settings, pointed somewhere nothing answers."""
    settings_dict = dict(connections["default"].settings_dict)
    if settings_dict["ENGINE"].endswith("sqlite3"):
        settings_dict["NAME"] = "/nonexistent-observer-dir/db.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    return settings_dict


@pytest.fixture
def calm_machine(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """psutil readings the test decides (the real machine may be busy)."""
    readings = SimpleNamespace(cpu=10.0, memory=20.0, disk=30.0)
    psutil = health.resources.psutil
    monkeypatch.setattr(health.resources, "cpu_percent", lambda: readings.cpu)
    monkeypatch.setattr(
        psutil, "virtual_memory",
        lambda: SimpleNamespace(total=8 * GB, available=8 * GB * (1 - readings.memory / 100),
                                used=8 * GB * readings.memory / 100, percent=readings.memory),
    )  # fmt: skip
    monkeypatch.setattr(
        psutil, "disk_usage",
        lambda path: SimpleNamespace(total=100 * GB, used=readings.disk * GB, free=(100 - readings.disk) * GB,
                                     percent=readings.disk),
    )  # fmt: skip
    return readings


def report(client_for: Any, admin_user: Any) -> dict[str, Any]:
    response = client_for(admin_user).get("/api/monitoring/health")
    assert response.status_code == 200, response.content
    return dict(response.json())


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in data["checks"]}


def test_it_says_ok_publicly_when_the_database_and_cache_answer() -> None:
    response = Client().get("/health")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_publicly_when_the_database_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "database_settings", unreachable_database)
    response = Client().get("/health")
    assert response.status_code == 503
    assert response.content == b"unhealthy\n"


@override_settings(SANDBOX_BACKEND="fake")
def test_it_reports_every_dependency_healthy_with_its_latency(client_for, admin_user, calm_machine) -> None:
    data = report(client_for, admin_user)
    checks = by_name(data)
    assert data["status"] == "healthy", data
    for name in ("database", "channel_layer", "cache", "sandbox", "cpu", "memory"):
        assert checks[name]["status"] == "healthy", checks[name]
    for name in ("database", "channel_layer", "cache", "sandbox"):
        assert checks[name]["latency_ms"] is not None and checks[name]["latency_ms"] >= 0
    assert checks["sandbox"]["details"]["backend"] == "fake"
    assert any(name.startswith("disk:") for name in checks)


@override_settings(SANDBOX_BACKEND="fake")
def test_it_reports_unhealthy_when_the_database_is_down(
    client_for, admin_user, calm_machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "database_settings", unreachable_database)
    data = report(client_for, admin_user)
    checks = by_name(data)
    assert data["status"] == "unhealthy"
    assert checks["database"]["status"] == "unhealthy"
    assert checks["database"]["message"]
    assert checks["cache"]["status"] == "healthy"


def test_it_reports_unhealthy_when_redis_is_down(client_for, admin_user, calm_machine) -> None:
    url = f"redis://127.0.0.1:{closed_port()}/7"
    with override_settings(
        SANDBOX_BACKEND="fake",
        REDIS_URL=url,
        MONITORING_CHECK_TIMEOUT_SECONDS=2,
        CHANNEL_LAYERS={"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                    "CONFIG": {"hosts": [url]}}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}},
    ):  # fmt: skip
        data = report(client_for, admin_user)
    checks = by_name(data)
    assert data["status"] == "unhealthy"
    for name in ("redis", "channel_layer", "cache"):
        assert checks[name]["status"] == "unhealthy", checks[name]
    assert checks["database"]["status"] == "healthy"


@override_settings(SANDBOX_BACKEND="no-such-backend")
def test_it_reports_a_sandbox_that_cannot_run_programs(client_for, admin_user, calm_machine) -> None:
    checks = by_name(report(client_for, admin_user))
    assert checks["sandbox"]["status"] == "unhealthy"
    assert "no-such-backend" in checks["sandbox"]["message"]


@override_settings(SANDBOX_BACKEND="fake")
def test_it_grades_cpu_memory_and_disk_against_the_thresholds(client_for, admin_user, calm_machine) -> None:
    calm_machine.cpu, calm_machine.memory, calm_machine.disk = 80.0, 50.0, 50.0
    data = report(client_for, admin_user)
    assert (data["status"], by_name(data)["cpu"]["status"]) == ("degraded", "degraded")

    calm_machine.cpu, calm_machine.memory, calm_machine.disk = 50.0, 50.0, 95.0
    data = report(client_for, admin_user)
    disks = [c for c in data["checks"] if c["name"].startswith("disk:")]
    assert data["status"] == "unhealthy" and {d["status"] for d in disks} == {"unhealthy"}

    calm_machine.cpu, calm_machine.memory, calm_machine.disk = 50.0, 76.0, 50.0
    with override_settings(MONITORING_DEGRADED_PERCENT=60, MONITORING_UNHEALTHY_PERCENT=70):
        data = report(client_for, admin_user)
    assert by_name(data)["memory"]["status"] == "unhealthy"
    assert by_name(data)["cpu"]["status"] == "healthy"


@override_settings(SANDBOX_BACKEND="fake", MONITORING_SLOW_CHECK_MS=-1)
def test_it_calls_a_slow_dependency_degraded(client_for, admin_user, calm_machine) -> None:
    data = report(client_for, admin_user)
    assert data["status"] == "degraded"
    assert by_name(data)["database"]["status"] == "degraded"
    assert by_name(data)["database"]["message"] == "slow to answer"


@pytest.mark.sandbox
def test_it_runs_a_hello_world_in_the_configured_sandbox(client_for, admin_user, calm_machine) -> None:
    checks = by_name(report(client_for, admin_user))
    assert checks["sandbox"]["status"] in ("healthy", "degraded"), checks["sandbox"]
    assert checks["sandbox"]["details"]["language"] == "python"


def rlimits_only_status() -> dict[str, object]:
    """What coding.runner.backend_status() says for bubblewrap where no cgroup is writable."""
    return {
        "backend": "bubblewrap", "available": True, "cgroup_mode": "none",
        "message": "bubblewrap ready; cgroups unavailable (no cgroup filesystem found): memory and "
                   "process limits fall back to rlimits, which are weaker",
    }  # fmt: skip


@override_settings(SANDBOX_BACKEND="fake")  # the hello-world itself runs in the fake backend
def test_it_calls_a_sandbox_without_cgroups_degraded_and_says_why(
    client_for, admin_user, calm_machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coding.runner

    monkeypatch.setattr(coding.runner, "backend_status", rlimits_only_status)
    data = report(client_for, admin_user)
    sandbox = by_name(data)["sandbox"]
    assert (data["status"], sandbox["status"]) == ("degraded", "degraded")
    assert "cgroups unavailable" in sandbox["message"] and "rlimits" in sandbox["message"]
    assert sandbox["details"]["cgroup_mode"] == "none" and sandbox["details"]["backend"] == "bubblewrap"
    assert sandbox["latency_ms"] is not None


@override_settings(SANDBOX_BACKEND="fake")
def test_it_calls_a_sandbox_with_cgroups_healthy(
    client_for, admin_user, calm_machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coding.runner

    monkeypatch.setattr(coding.runner, "backend_status", lambda: {**rlimits_only_status(), "cgroup_mode": "v2"})
    sandbox = by_name(report(client_for, admin_user))["sandbox"]
    assert sandbox["status"] == "healthy", sandbox
    assert sandbox["details"]["cgroup_mode"] == "v2"


PROTECTIONS = [
    {"name": "seccomp filter", "state": "active", "detail": "284 BPF instructions"},
    {"name": "host uid per run", "state": "degraded", "detail": "the server is not root"},
    {"name": "kernel.io_uring_disabled", "state": "off", "detail": "0"},
]


@override_settings(SANDBOX_BACKEND="fake")
def test_it_lists_the_sandbox_s_protections_and_calls_a_degraded_one_degraded(
    client_for, admin_user, calm_machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coding.runner

    monkeypatch.setattr(coding.runner, "backend_status",
                        lambda: {**rlimits_only_status(), "cgroup_mode": "v2", "protections": PROTECTIONS})
    sandbox = by_name(report(client_for, admin_user))["sandbox"]
    assert sandbox["status"] == "degraded", sandbox
    assert sandbox["message"] == "sandbox protections degraded on this host: host uid per run"
    assert sandbox["details"]["protections"] == PROTECTIONS


@override_settings(SANDBOX_BACKEND="fake")
def test_protections_that_are_active_or_off_keep_the_sandbox_healthy(
    client_for, admin_user, calm_machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coding.runner

    active = [p for p in PROTECTIONS if p["state"] != "degraded"]
    monkeypatch.setattr(coding.runner, "backend_status",
                        lambda: {**rlimits_only_status(), "cgroup_mode": "v2", "protections": active})
    sandbox = by_name(report(client_for, admin_user))["sandbox"]
    assert sandbox["status"] == "healthy", sandbox
    assert sandbox["details"]["protections"] == active


@pytest.mark.sandbox
def test_the_real_bubblewrap_s_protections_are_in_the_report(
    client_for, admin_user, calm_machine, settings
) -> None:
    settings.SANDBOX_BACKEND = "bubblewrap"
    sandbox = by_name(report(client_for, admin_user))["sandbox"]
    states = {p["name"]: p["state"] for p in sandbox["details"]["protections"]}
    assert states["seccomp filter"] == states["no nested user namespaces"] == "active", sandbox
    assert states["host uid per run"] == states["masked /proc files"] == "active", sandbox
