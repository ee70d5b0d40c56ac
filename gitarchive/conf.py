"""Where GitHub is (github.com or a GitHub Enterprise server) and whether it is configured."""

from __future__ import annotations

from django.conf import settings


def enabled() -> bool:
    """Sign-in and archiving need an OAuth app; without one the button is not shown."""
    return bool(settings.GITHUB_CLIENT_ID and settings.GITHUB_CLIENT_SECRET)


def web_url() -> str:
    """https://github.com, or an Enterprise server's address (no trailing slash)."""
    return str(settings.GITHUB_BASE_URL).rstrip("/")


def api_url() -> str:
    """The REST API's root, with a trailing slash."""
    configured = str(getattr(settings, "GITHUB_API_URL", "") or "")
    if configured:
        return configured.rstrip("/") + "/"
    base = web_url()
    return "https://api.github.com/" if base == "https://github.com" else base + "/api/v3/"
