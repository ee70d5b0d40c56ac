"""The client address behind rate limits and the audit log, and the proxy setup that feeds it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings

from monitoring.models import AuditEvent
from observer.ratelimits import client_ip, client_key

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Hourly windows: a fixed window rolling over mid-test would reset the counters.
LIMITS = {"auth_ip": "3/h", "auth_username": "100/h", "join_ip": "10/h"}


def _refresh(api, **extra: str) -> int:
    return api.post("/api/auth/refresh", {"refresh": "x"}, format="json", **extra).status_code


def test_it_ignores_x_forwarded_for_unless_told_to_trust_it() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert client_ip(request) == "203.0.113.5"


@override_settings(TRUST_X_FORWARDED_FOR=True)
def test_it_takes_the_last_hop_when_trusted_never_the_clients_own_entries() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5")
    assert client_ip(request) == "203.0.113.5"


@override_settings(TRUST_X_FORWARDED_FOR=True)
def test_it_falls_back_to_the_peer_when_the_last_hop_is_not_an_address() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5, <script>")
    assert client_ip(request) == "127.0.0.1"


@override_settings(RATELIMITS=LIMITS, TRUST_X_FORWARDED_FOR=True)
def test_it_does_not_let_a_spoofed_header_reset_a_counter_behind_the_proxy(api) -> None:
    statuses = [
        _refresh(api, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7") for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


@override_settings(RATELIMITS=LIMITS)
def test_it_does_not_let_a_spoofed_header_reset_a_counter_without_a_proxy(api) -> None:
    statuses = [_refresh(api, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}") for n in range(4)]
    assert statuses == [401, 401, 401, 429]


@override_settings(RATELIMITS=LIMITS)
def test_it_counts_ipv6_clients_by_their_slash_64(api) -> None:
    for host in range(1, 4):
        assert _refresh(api, REMOTE_ADDR=f"2001:db8:1:2::{host}") == 401
    assert _refresh(api, REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:ffff") == 429
    assert _refresh(api, REMOTE_ADDR="2001:db8:1:3::1") == 401


def test_it_keys_ipv4_by_address_and_ipv4_mapped_ipv6_as_ipv4() -> None:
    factory = RequestFactory()
    assert client_key(factory.get("/", REMOTE_ADDR="203.0.113.5")) == "203.0.113.5"
    assert client_key(factory.get("/", REMOTE_ADDR="::ffff:203.0.113.5")) == "203.0.113.5"
    assert client_key(factory.get("/", REMOTE_ADDR="2001:db8::7")) == "2001:db8::/64"


@override_settings(TRUST_X_FORWARDED_FOR=True)
def test_it_reads_a_websocket_scope_the_same_way() -> None:
    scope = {
        "type": "websocket",
        "client": ["127.0.0.1", 50000],
        "headers": [(b"host", b"x"), (b"x-forwarded-for", b"10.9.9.9, 203.0.113.5")],
    }
    assert client_ip(scope) == "203.0.113.5"
    with override_settings(TRUST_X_FORWARDED_FOR=False):
        assert client_ip(scope) == "127.0.0.1"
    assert client_ip({"type": "websocket", "client": None, "headers": []}) == "unknown"


@override_settings(TRUST_X_FORWARDED_FOR=True)
def test_it_audits_the_address_the_proxy_saw(api, student) -> None:
    api.post(
        "/api/auth/login",
        {"username": student.username, "password": "wrong"},
        format="json",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7",
    )
    assert AuditEvent.objects.get(action="auth.login_failed").ip == "198.51.100.7"


def _without_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_it_has_nginx_overwrite_x_forwarded_for_in_every_proxied_location() -> None:
    conf = _without_comments((ROOT / "deploy" / "nginx-observer.conf").read_text())
    assert "$proxy_add_x_forwarded_for" not in conf
    overwrite = r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;"
    locations = re.findall(r"location\s+(?:\"[^\"]*\"|[^{])+\{([^}]*)\}", conf)
    proxied = [body for body in locations if "proxy_pass" in body]
    assert len(proxied) >= 4
    # nginx: a location that sets no proxy_set_header of its own inherits the server's
    # (all of them); one that sets any inherits none, so it must set this one too.
    outside = re.sub(r"location\s+(?:\"[^\"]*\"|[^{])+\{[^}]*\}", "", conf)
    server_https = outside.split("listen 443", 1)[-1]
    for body in proxied:
        if "proxy_set_header" in body:
            assert re.search(overwrite, body), body
        else:
            assert re.search(overwrite, server_https), "the HTTPS server block does not overwrite X-Forwarded-For"


def test_it_serves_without_the_servers_first_hop_proxy_headers() -> None:
    unit = (ROOT / "deploy" / "observer@.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert "--proxy-headers" not in exec_start
    env_example = (ROOT / "deploy" / "observer.env.example").read_text()
    assert "TRUST_X_FORWARDED_FOR=true" in env_example.splitlines()
