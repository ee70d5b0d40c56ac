"""The shipped nginx site in front of two server processes, over HTTPS as clients meet it:
health and metrics reach the app, security headers on every kind of response, the
metrics allow-list, request size limits, the redirect to HTTPS, a client's own
X-Forwarded-For ignored, request ids in the app's logs."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.deploy.stack import NGINX, SERVER_NAME, Stack, http_request

pytestmark = pytest.mark.e2e

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _csp(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_nginx_accepts_the_site(stack: Stack) -> None:
    checked = stack.nginx_test()
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr
    version = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr
    assert "nginx/" in version


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_health_answers_through_nginx(stack: Stack, https: bool) -> None:
    """It answered 400 (DisallowedHost 'observer_app') when nginx did not pass Host."""
    status, _, body = http_request(stack.https_port if https else stack.http_port, "/health", https=https)
    assert (status, body) == (200, b"ok\n")


def test_metrics_reach_prometheus_inside_and_nobody_outside(stack: Stack) -> None:
    status, headers, body = http_request(stack.https_port, "/metrics")
    assert status == 200, body[:300]
    assert b"# TYPE" in body and "text/plain" in headers["Content-Type"]
    status, _, _ = http_request(stack.https_port, "/metrics", source="127.0.0.2")
    assert status == 403
    # A client's own X-Forwarded-For does not put it inside the allow-list.
    status, _, _ = http_request(stack.https_port, "/metrics", source="127.0.0.2",
                                headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"})
    assert status == 403
    status, _, _ = http_request(stack.http_port, "/metrics", https=False, source="127.0.0.2")
    assert status == 301  # plain HTTP only ever redirects (and serves /health)


@pytest.mark.parametrize("path", ["/health", "/login", "/static/app/index.html", "/api/nothing-here",
                                  "/metrics-outside"])
def test_every_response_carries_the_security_headers(stack: Stack, path: str) -> None:
    source = "127.0.0.2" if path == "/metrics-outside" else "127.0.0.1"
    status, headers, _ = http_request(stack.https_port, "/metrics" if path == "/metrics-outside" else path,
                                      source=source)
    assert status in {200, 403, 404}, status
    for name, value in SECURITY_HEADERS.items():
        assert headers.get_all(name) == [value], (name, headers.get_all(name))
    policies = headers.get_all("Content-Security-Policy")
    assert policies is not None and len(policies) == 1
    csp = _csp(policies[0])
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval, no other host
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert len(headers.get_all("X-Request-ID") or []) == 1


def test_the_built_app_has_no_inline_script(stack: Stack) -> None:
    """script-src 'self' refuses inline scripts: the app shell must not have one."""
    status, _, body = http_request(stack.https_port, "/")
    assert status == 200
    html = body.decode()
    assert "<script" in html
    for tag in html.split("<script")[1:]:
        opening, _, rest = tag.partition(">")
        assert "src=" in opening, f"inline script: <script{opening}>"
        assert rest.startswith("</script>"), f"inline script body: {rest[:80]!r}"


def test_plain_http_redirects_to_https(stack: Stack) -> None:
    status, headers, _ = http_request(stack.http_port, "/join?code=AB12", https=False)
    assert status == 301
    assert headers["Location"] == f"https://{SERVER_NAME}/join?code=AB12"


def _too_large(status: int, headers: object, body: bytes) -> dict[str, object]:
    assert status == 413, body[:300]
    data = json.loads(body)
    assert set(data) == {"error"} and data["error"]["code"] == "request_too_large", data
    return dict(data["error"])


def test_request_size_limits_are_answered_the_same_by_nginx_and_the_app(stack: Stack) -> None:
    login = "/api/auth/login"
    json_headers = {"Content-Type": "application/json"}
    # Over the app's limit (2.5 MiB) but within nginx's (4 MiB): the app answers.
    status, headers, body = http_request(stack.https_port, login, method="POST",
                                         body=b'{"username": "' + b"a" * 3_000_000 + b'"}', headers=json_headers)
    app = _too_large(status, headers, body)
    # Over nginx's: nginx answers, never bothering the server, in the same shape and status.
    status, headers, body = http_request(stack.https_port, login, method="POST",
                                         body=b'{"username": "' + b"a" * 5_000_000 + b'"}', headers=json_headers)
    edge = _too_large(status, headers, body)
    assert headers["Content-Type"].startswith("application/json")
    assert set(app) == set(edge) == {"code", "message", "details"}
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value  # type: ignore[attr-defined]


def test_a_client_cannot_choose_its_own_address(stack: Stack) -> None:
    """nginx overwrites X-Forwarded-For with the peer; the app (TRUST_X_FORWARDED_FOR)
    records that peer, not what the client claimed, in the audit log."""
    username = f"nobody-{time.monotonic_ns()}"
    status, _, _ = http_request(stack.https_port, "/api/auth/login", method="POST", source="127.0.0.2",
                                body=json.dumps({"username": username, "password": "wrong"}).encode(),
                                headers={"Content-Type": "application/json",
                                         "X-Forwarded-For": "203.0.113.9, 198.51.100.7"})
    assert status in {400, 401}
    deadline = time.monotonic() + 10
    ips = ""
    while time.monotonic() < deadline and not ips:
        ips = stack.psql("select ip from monitoring_auditevent where action = 'auth.login_failed' "
                         f"and details::text like '%{username}%'")
        time.sleep(0.2)
    assert ips.split() == ["127.0.0.2"], ips


def test_the_request_id_reaches_the_app_logs(stack: Stack) -> None:
    """The id nginx logs and sends back is the one the app's JSON log line carries."""
    status, headers, _ = http_request(stack.https_port, "/api/nothing-here")
    assert status == 404
    request_id = headers["X-Request-ID"]
    assert len(request_id) == 32
    deadline = time.monotonic() + 10
    found: list[dict[str, object]] = []
    while time.monotonic() < deadline and not found:
        for instance in stack.instances:
            for line in instance.log_text().splitlines():
                if line.startswith("{") and request_id in line:
                    found.append(json.loads(line))
        time.sleep(0.2)
    assert found, "no app log line carries the request id"
    assert found[0]["request_id"] == request_id and found[0]["logger"] == "django.request"
    assert stack.upstream_of(request_id).startswith("127.0.0.1:")


def test_every_socket_of_one_document_reaches_the_same_process(stack: Stack) -> None:
    """The document sockets' upstream hashes on the document id (docs/live.md), where
    everything else is round robin."""
    ids = ["3f6c88c2-388d-4569-9b15-e20908915909", "ef8d7a2a-2ab7-47e9-a139-6b3f585ff2fa",
           "7d992a5f-8240-4573-8943-58ae20ff04d8", "0b9f1a52-6a47-4c35-9d5e-0c1f3b2a4e61"]
    chosen: dict[str, set[str]] = {}
    for document in ids:
        for _ in range(4):
            # A plain GET (no upgrade): routed like the socket, answered by the process.
            _, headers, _ = http_request(stack.https_port, f"/ws/documents/{document}/")
            chosen.setdefault(document, set()).add(_upstream(stack, headers["X-Request-ID"]))
    assert all(len(upstreams) == 1 and "" not in upstreams for upstreams in chosen.values()), chosen
    round_robin = {_upstream(stack, http_request(stack.https_port, "/health")[1]["X-Request-ID"])
                   for _ in range(4)}
    assert len(round_robin) == 2 and "" not in round_robin, round_robin  # the others still spread


def _upstream(stack: Stack, request_id: str) -> str:
    """The process that answered, once nginx has written the request's log line."""
    deadline = time.monotonic() + 5
    while not stack.upstream_of(request_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    return stack.upstream_of(request_id)
