"""/metrics is off the public API: a bearer token or an allowed address."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def test_it_answers_a_scraper_on_the_loopback_by_default() -> None:
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"observer_runs_active" in response.content


def test_it_refuses_an_address_outside_the_allow_list() -> None:
    response = Client().get("/metrics", **OUTSIDE)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert b"observer_" not in response.content


def test_it_does_not_trust_a_forwarded_for_header() -> None:
    response = Client().get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1", **OUTSIDE)
    assert response.status_code == 403


@override_settings(TRUST_X_FORWARDED_FOR=True)
def test_it_judges_the_client_behind_the_proxy_not_the_proxy() -> None:
    # nginx (the peer, on the loopback) writes the client's address as the last hop.
    behind = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert behind.status_code == 403
    spoofed = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.7")
    assert spoofed.status_code == 403
    local = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert local.status_code == 200


@override_settings(MONITORING_METRICS_TOKEN="s3cret-scrape-token", MONITORING_METRICS_ALLOWED_IPS=[])
def test_it_needs_the_token_when_no_address_is_allowed() -> None:
    client = Client()
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "not_authenticated"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-scrape-token").status_code == 401
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token", **OUTSIDE)
    assert right.status_code == 200 and b"observer_runs_active" in right.content


@override_settings(MONITORING_METRICS_TOKEN="", MONITORING_METRICS_ALLOWED_IPS=[])
def test_it_refuses_everyone_when_neither_is_configured() -> None:
    assert Client().get("/metrics").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@override_settings(MONITORING_METRICS_ALLOWED_IPS=["10.1.0.0/16", "not an address"])
def test_it_accepts_networks_in_the_allow_list() -> None:
    assert Client().get("/metrics", REMOTE_ADDR="10.1.42.9").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 403


def test_it_only_answers_reads() -> None:
    assert Client().post("/metrics").status_code == 405
