"""Fixtures shared by every suite: API clients authenticated as each kind of principal."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services import token_pair_for
from coding.sandbox import build_cache
from tests.contract_support import frames_checked
from tests.factories import AdminFactory, TeacherFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache; no test inherits another's attempts."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_build_cache() -> Iterator[None]:
    """No test runs a program another test compiled (coding.sandbox.build_cache)."""
    build_cache.clear()
    yield
    build_cache.clear()


@pytest.fixture(autouse=True)
def _frames_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every JSON frame a socket sends and every session event broadcast in any test is
    one observer.contract defines (the browser drops anything else)."""
    with frames_checked(monkeypatch) as violations:
        yield
    if violations:
        pytest.fail("frames outside observer.contract:\n" + "\n".join(violations[:20]), pytrace=False)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """An APIClient that sends a bearer token for the given user (or a raw token string)."""

    def make(principal: Any) -> APIClient:
        client = APIClient()
        token = principal if isinstance(principal, str) else token_pair_for(user=principal)["access"]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def student(db: None) -> Any:
    return UserFactory()


@pytest.fixture
def teacher(db: None) -> Any:
    return TeacherFactory()


@pytest.fixture
def admin_user(db: None) -> Any:
    return AdminFactory()


@pytest.fixture
def redis_url() -> str:
    """The real Redis, which the cross-process tests use in both passes (two server
    "processes" need a broker to share): fails, never skips, when it does not answer."""
    return real_redis_url()


def real_redis_url() -> str:
    import redis

    url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {url}: {exc}")
    return url


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                     "live_server"}


def _touches_the_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/e2e drives a real browser: mark it so the suites can be split.

    scripts/test runs the Python suites twice, on SQLite and on PostgreSQL + Redis. A
    sandbox suite that touches neither the database nor the channel layer (hostile
    programs, languages, warm pool, podman, grading harnesses) tests the same thing in
    both: with OBSERVER_TEST_PASS=second it is left out of the second pass (it ran in
    the first), and the pass says how many it left out."""
    for item in items:
        if "/tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)
    if os.environ.get("OBSERVER_TEST_PASS") != "second":
        return
    kept: list[pytest.Item] = []
    once: list[pytest.Item] = []
    for item in items:
        sandbox_only = item.get_closest_marker("sandbox") or item.get_closest_marker("podman")
        (once if sandbox_only and not _touches_the_database(item) else kept).append(item)
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = kept
