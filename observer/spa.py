"""Serves the built browser app (static/app/index.html) at / and its client routes."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Observer</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>Observer</h1><p>The browser app has not been built yet. Run
<code>./scripts/run</code> (or <code>npm --prefix frontend ci &amp;&amp; npm --prefix frontend run build</code>).
The API is at <a href="/api/docs/">/api/docs/</a>.</p></body>"""


@require_GET
def app_shell(request: HttpRequest, path: str = "") -> HttpResponse:
    try:
        html = settings.FRONTEND_INDEX.read_text()
    except FileNotFoundError:
        return HttpResponse(_NOT_BUILT, status=503)
    response = HttpResponse(html)
    response["Cache-Control"] = "no-cache"
    return response


def not_found_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><title>Not found</title><h1>Not found</h1>", status=404)
