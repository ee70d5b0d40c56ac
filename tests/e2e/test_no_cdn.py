"""Nothing the app loads comes from outside the server: the pages' request guard refuses
and reports any request to another host (a classroom server may have no internet)."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.e2e.server import LiveServer
from tests.e2e.ui import new_page, same_origin

CDN = "https://cdn.jsdelivr.net/npm/monaco-editor@0.52.0/min/vs/loader.js"


def test_it_tells_the_server_s_own_requests_from_others() -> None:
    base = "http://127.0.0.1:8123"
    own = (f"{base}/", f"{base}/static/app/assets/monaco.js", "ws://127.0.0.1:8123/ws/monitoring/", "data:,x", "blob:x")
    for url in own:
        assert same_origin(url, base), url
    for url in (CDN, "http://127.0.0.1:81234/", "http://127.0.0.1:8123.evil.example/", "wss://example.org/ws/"):
        assert not same_origin(url, base), url


def test_it_refuses_and_reports_a_request_to_another_host(browser: Browser, observer_server: LiveServer) -> None:
    foreign: list[str] = []
    page = new_page(browser, observer_server.base_url, foreign)
    try:
        page.goto("/login")
        assert foreign == []  # the app itself asks for nothing outside
        outcome = page.evaluate("url => fetch(url).then(() => 'loaded', () => 'refused')", CDN)
        assert outcome == "refused"
        page.evaluate("() => { new WebSocket('wss://example.org/socket'); }")
        page.wait_for_timeout(200)
        assert foreign == [CDN, "wss://example.org/socket"]
    finally:
        page.context.close()
