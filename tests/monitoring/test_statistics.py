"""Statistics per period (by status, language, session, minute, run time), errors, resources."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from django.utils import timezone

from monitoring.serializers import StatisticsSerializer
from monitoring.services import error_record
from tests.live_factories import make_session
from tests.monitoring.conftest import make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_for, admin_user: Any) -> Any:
    return client_for(admin_user)


@pytest.fixture
def runs() -> dict[str, Any]:
    now = timezone.now()
    loops = make_session(title="Loops")
    make_run(language="python", status="ok", wall_ms=80, session=loops, created_at=now)
    make_run(language="python", status="ok", wall_ms=300, session=loops, created_at=now)
    make_run(language="python", status="runtime-error", wall_ms=700, session=loops, created_at=now)
    make_run(language="java", status="timeout", wall_ms=10_000, created_at=now)
    make_run(language="java", status="ok", wall_ms=45_000, created_at=now - timedelta(hours=3))
    make_run(language="c", status="compile-error", wall_ms=2000, created_at=now - timedelta(days=3))
    return {"loops": loops, "now": now}


def test_it_breaks_the_last_hour_down_by_status_language_and_session(admin, runs) -> None:
    stats = admin.get("/api/monitoring/statistics", {"period": "hour"}).json()
    assert StatisticsSerializer(data=stats).is_valid(), StatisticsSerializer(data=stats).errors

    assert stats["period"] == "hour" and stats["bucket"] == "minute"
    assert stats["totals"]["total"] == 4 and stats["totals"]["ok"] == 2 and stats["totals"]["failed"] == 2
    assert {row["status"]: row["count"] for row in stats["by_status"]} == {"ok": 2, "runtime-error": 1, "timeout": 1}
    languages = {row["language"]: row for row in stats["by_language"]}
    assert (languages["python"]["total"], languages["python"]["ok"], languages["python"]["failed"]) == (3, 2, 1)
    assert (languages["java"]["ok"], languages["java"]["failed"]) == (0, 1)
    assert stats["by_session"] == [
        {"session_id": str(runs["loops"].id), "title": "Loops", "total": 3, "ok": 2, "failed": 1}
    ]


def test_it_counts_runs_per_minute_by_status(admin, runs) -> None:
    stats = admin.get("/api/monitoring/statistics").json()  # the hour by default
    timeline = stats["timeline"]
    assert 60 <= len(timeline) <= 61
    this_minute = runs["now"].astimezone(UTC).replace(second=0, microsecond=0).isoformat()
    counts = {bucket["start"]: bucket["counts"] for bucket in timeline}
    assert counts[this_minute] == {"ok": 2, "runtime-error": 1, "timeout": 1}
    assert sum(sum(c.values()) for c in counts.values()) == 4


def test_it_gives_the_run_time_distribution(admin, runs) -> None:
    durations = admin.get("/api/monitoring/statistics", {"period": "day"}).json()["durations"]
    by_bound = {row["le_ms"]: row["count"] for row in durations}
    assert by_bound[100] == 1  # 80 ms
    assert by_bound[500] == 1  # 300 ms
    assert by_bound[1000] == 1  # 700 ms
    assert by_bound[10_000] == 1
    assert by_bound[None] == 1  # 45 s: past the last bound
    assert sum(by_bound.values()) == 5


def test_it_widens_with_the_period(admin, runs) -> None:
    day = admin.get("/api/monitoring/statistics", {"period": "day"}).json()
    week = admin.get("/api/monitoring/statistics", {"period": "week"}).json()
    assert day["totals"]["total"] == 5 and day["bucket"] == "hour" and 24 <= len(day["timeline"]) <= 25
    assert week["totals"]["total"] == 6
    assert admin.get("/api/monitoring/statistics", {"period": "year"}).status_code == 400


def test_it_lists_errors_most_recent_first(admin) -> None:
    error_record(source="sandbox", message="python: bwrap failed")
    try:
        raise ValueError("boom")
    except ValueError as exc:
        error_record(source="api", exc=exc, details={"view": "x"})

    page = admin.get("/api/monitoring/errors").json()
    assert page["count"] == 2
    assert [e["source"] for e in page["results"]] == ["api", "sandbox"]
    assert page["results"][0]["kind"] == "ValueError" and "boom" in page["results"][0]["details"]["traceback"]
    only = admin.get("/api/monitoring/errors", {"source": "sandbox"}).json()
    assert [e["message"] for e in only["results"]] == ["python: bwrap failed"]


def test_it_reports_system_resources(admin) -> None:
    data = admin.get("/api/monitoring/resources").json()
    assert 0 <= data["cpu"]["percent"] <= 100 and data["cpu"]["count"] >= 1
    assert len(data["cpu"]["load_average"]) == 3
    assert data["memory"]["total"] > 0 and data["memory"]["status"] in ("healthy", "degraded", "unhealthy")
    assert data["disks"] and all(d["total"] > 0 for d in data["disks"])
    assert data["process"]["rss"] > 0
    assert data["thresholds"] == {"degraded_percent": 75.0, "unhealthy_percent": 90.0}
