"""The OAuth round trip as a browser makes it, with Django's test client for Observer and
plain HTTP for the fake GitHub."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx


def round_trip(client: Any, start_url: str) -> str:
    """Follows start → GitHub's authorize → Observer's callback; returns where Observer
    sends the browser at the end."""
    started = client.get(start_url)
    assert started.status_code == 302, started.content
    authorize = started["Location"]
    answer = httpx.get(authorize, follow_redirects=False)
    assert answer.status_code == 302
    callback = urlparse(answer.headers["location"])
    done = client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.content
    return str(done["Location"])


def fragment_code(location: str) -> str:
    fragment = urlparse(location).fragment
    return parse_qs(fragment)["github_code"][0]


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
