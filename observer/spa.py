"""Serves the built browser app (static/app/index.html) at / and its client routes."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from observer.errors import html_error


@require_GET
def app_shell(request: HttpRequest, path: str = "") -> HttpResponse:
    try:
        html = settings.FRONTEND_INDEX.read_text()
    except FileNotFoundError:
        return html_error(request, 503, "503_app_not_built.html")
    response = HttpResponse(html)
    response["Cache-Control"] = "no-cache"
    return response
