"""GET /api/sessions/ grows without bound (an admin sees every session ever): it is
paginated like the other such lists, `{count, next, previous, results}`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.models import ClassSession
from tests.sessions.conftest import refused
from tests.sessions.factories import ClassSessionFactory

pytestmark = pytest.mark.django_db


def sessions_of(teacher, n: int) -> list[str]:
    """`n` sessions, newest first, one second apart."""
    created = [ClassSessionFactory(teacher=teacher) for _ in range(n)]
    start = timezone.now() - timedelta(days=1)
    for i, session in enumerate(created):
        ClassSession.objects.filter(pk=session.pk).update(created_at=start + timedelta(seconds=i))
    return [str(s.pk) for s in reversed(created)]


def test_it_answers_pages_of_fifty_with_a_next_link(client_for, teacher) -> None:
    ids = sessions_of(teacher, 53)
    t = client_for(teacher)
    first = t.get("/api/sessions/").json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 53 and first["previous"] is None
    assert [s["id"] for s in first["results"]] == ids[:50]
    assert first["next"].endswith("/api/sessions/?page=2")
    second = t.get(first["next"]).json()
    assert [s["id"] for s in second["results"]] == ids[50:]
    assert second["next"] is None and second["previous"] is not None


def test_it_takes_a_page_size_up_to_two_hundred(client_for, teacher) -> None:
    ids = sessions_of(teacher, 5)
    body = client_for(teacher).get("/api/sessions/?page_size=2&page=2").json()
    assert [s["id"] for s in body["results"]] == ids[2:4]
    assert "page_size=2" in body["next"] and "page=3" in body["next"]
    assert len(client_for(teacher).get("/api/sessions/?page_size=1000").json()["results"]) == 5  # capped, not refused


def test_an_admin_pages_through_every_session(client_for, admin_user, teacher) -> None:
    sessions_of(teacher, 3)
    sessions_of(ClassSessionFactory().teacher, 2)
    body = client_for(admin_user).get("/api/sessions/?page_size=4").json()
    assert body["count"] == ClassSession.objects.count() == 6 and len(body["results"]) == 4


def test_a_page_past_the_end_is_a_404_in_the_standard_shape(client_for, teacher) -> None:
    sessions_of(teacher, 2)
    refused(client_for(teacher).get("/api/sessions/?page=3"), 404, "not_found")
    refused(client_for(teacher).get("/api/sessions/?page=zero"), 404, "not_found")


def test_a_page_is_three_queries_whatever_its_size(client_for, teacher, django_assert_max_num_queries) -> None:
    sessions_of(teacher, 60)
    t = client_for(teacher)
    with django_assert_max_num_queries(3):  # the user, the count, the page
        assert len(t.get("/api/sessions/").json()["results"]) == 50


def test_live_sessions_come_first_so_an_old_reopened_one_is_on_page_one(client_for, teacher) -> None:
    ids = sessions_of(teacher, 4)
    ClassSession.objects.exclude(pk=ids[-1]).update(state="ended")  # only the oldest is live (reopened)
    body = client_for(teacher).get("/api/sessions/?page_size=2").json()
    assert [s["id"] for s in body["results"]] == [ids[-1], ids[0]]


def test_the_schema_documents_the_page_shape(api) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listing = schema["paths"]["/api/sessions/"]["get"]
    assert listing["operationId"] == "sessions_list"
    assert {p["name"] for p in listing["parameters"]} >= {"page", "page_size"}
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SessionPage")
    assert set(schema["components"]["schemas"]["SessionPage"]["properties"]) == {"count", "next", "previous", "results"}
