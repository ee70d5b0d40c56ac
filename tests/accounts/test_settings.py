"""Settings read the environment: production refuses to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV", "DATABASE_URL", "REDIS_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "OBSERVER_ENV_FILE": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    result = _run("check", DJANGO_ENV="production", ALLOWED_HOSTS="class.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_it_refuses_a_short_secret_key_in_production() -> None:
    result = _run("check", DJANGO_ENV="production", SECRET_KEY="short", ALLOWED_HOSTS="class.example.org")
    assert result.returncode != 0
    assert "at least 50" in result.stderr


def test_it_refuses_to_start_in_production_without_allowed_hosts() -> None:
    result = _run("check", DJANGO_ENV="production", SECRET_KEY="x" * 20 + "y" * 20 + "abcdefghijklmnop")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required" in result.stderr


def test_it_passes_the_deployment_checklist_in_production() -> None:
    result = _run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY="k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
        ALLOWED_HOSTS="class.example.org",
        CORS_ALLOWED_ORIGINS="https://class.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_runs_in_debug_on_sqlite_with_no_environment() -> None:
    code = "from django.conf import settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS)"
    result = _run("shell", "-v", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True django.db.backends.sqlite3 ")
    assert "InMemoryChannelLayer" in result.stdout
