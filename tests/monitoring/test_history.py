"""Execution history with filters and pagination, and the current figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from monitoring.serializers import FiguresSerializer
from tests.factories import UserFactory
from tests.live_factories import make_participant, make_session
from tests.monitoring.conftest import make_run

pytestmark = pytest.mark.django_db

URL = "/api/monitoring/executions"


@pytest.fixture
def admin(client_for, admin_user: Any) -> Any:
    return client_for(admin_user)


def ids(response: Any) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def test_it_lists_runs_newest_first_with_who_and_where(admin) -> None:
    session = make_session(title="Loops")
    participant = make_participant(session=session, display_name="Ada")
    older = make_run(created_at=timezone.now() - timedelta(minutes=5))
    newer = make_run(session=session, participant=participant, user=participant.user, status="timeout")

    rows = admin.get(URL).json()["results"]

    assert [r["id"] for r in rows] == [str(newer.id), str(older.id)]
    assert rows[0]["status"] == "timeout"
    assert rows[0]["session"] == {"id": str(session.id), "title": "Loops"}
    assert rows[0]["participant"]["display_name"] == "Ada"
    assert rows[0]["user"]["username"] == participant.user.username
    assert rows[1]["session"] is None and rows[1]["participant"] is None


def test_it_filters_by_language_status_session_user_and_time(admin) -> None:
    session = make_session()
    someone = UserFactory()
    python_ok = make_run(language="python", status="ok", session=session, user=someone)
    java_timeout = make_run(language="java", status="timeout")
    old_c = make_run(language="c", status="compile-error", created_at=timezone.now() - timedelta(days=2))

    assert ids(admin.get(URL, {"language": "java"})) == {str(java_timeout.id)}
    assert ids(admin.get(URL, {"status": "ok"})) == {str(python_ok.id)}
    assert ids(admin.get(URL, {"session": str(session.id)})) == {str(python_ok.id)}
    assert ids(admin.get(URL, {"user": str(someone.id)})) == {str(python_ok.id)}
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(admin.get(URL, {"since": since})) == {str(python_ok.id), str(java_timeout.id)}
    assert ids(admin.get(URL, {"until": since})) == {str(old_c.id)}
    assert ids(admin.get(URL, {"language": "python", "status": "timeout"})) == set()


def test_it_paginates(admin) -> None:
    runs = [make_run(created_at=timezone.now() - timedelta(seconds=i)) for i in range(5)]

    first = admin.get(URL, {"page_size": 2}).json()
    assert first["count"] == 5 and first["previous"] is None and "page=2" in first["next"]
    third = admin.get(URL, {"page_size": 2, "page": 3}).json()
    assert [r["id"] for r in third["results"]] == [str(runs[4].id)] and third["next"] is None
    assert admin.get(URL, {"page": 9}).status_code == 404
    assert len(admin.get(URL, {"page_size": 10_000}).json()["results"]) == 5  # capped, not refused


def test_it_refuses_bad_filters_in_the_error_shape(admin) -> None:
    response = admin.get(URL, {"status": "bogus", "session": "not-a-uuid"})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and set(body["details"]) == {"status", "session"}
    assert admin.get(URL, {"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}).status_code == 400


def test_it_lists_a_page_in_a_constant_number_of_queries(admin, django_assert_max_num_queries) -> None:
    session = make_session()
    for _ in range(12):
        participant = make_participant(session=session)
        make_run(session=session, participant=participant, user=participant.user)
    with django_assert_max_num_queries(3):  # the caller, the count, the page
        assert len(admin.get(URL).json()["results"]) == 12


def test_it_computes_current_figures_from_the_records(admin, django_assert_max_num_queries) -> None:
    now = timezone.now()

    def one_after_another(minutes_ago: int, wall: int) -> dict[str, Any]:
        started = now - timedelta(minutes=minutes_ago)
        return {"wall_ms": wall, "started_at": started, "finished_at": started + timedelta(milliseconds=wall)}

    for i, wall in enumerate((100, 200, 300, 400, 1000)):
        make_run(status="ok", **one_after_another(10 + i, wall))
    make_run(status="runtime-error", **one_after_another(20, 500))
    make_run(status="ok", created_at=now - timedelta(hours=2), **one_after_another(120, 50))  # outside the hour
    # Three runs executing together now: the peak.
    for _ in range(3):
        make_run(status="running", started_at=now - timedelta(seconds=5))

    with django_assert_max_num_queries(10):
        figures = admin.get("/api/monitoring/figures").json()

    assert figures["active_runs"] == 3
    assert figures["runs"] == 9 and figures["runs_finished"] == 6
    assert figures["runs_ok"] == 5 and figures["runs_failed"] == 1
    assert figures["success_rate"] == pytest.approx(5 / 6, abs=1e-3)
    assert figures["avg_wall_ms"] == 417
    assert figures["p95_wall_ms"] == 1000
    assert figures["peak_concurrency"] == 3
    assert figures["window_seconds"] == 3600
    assert set(figures) == set(FiguresSerializer().fields)  # the documented shape, no more, no less


def test_it_has_no_rates_before_the_first_run(admin) -> None:
    figures = admin.get("/api/monitoring/figures").json()
    assert figures["runs"] == 0
    assert figures["success_rate"] is None and figures["p95_wall_ms"] is None and figures["avg_wall_ms"] is None
    assert figures["peak_concurrency"] == 0
