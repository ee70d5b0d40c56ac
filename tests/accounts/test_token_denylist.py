"""Access tokens end with the sign-in that minted them: after logout, and after the
refresh token they came with was rotated, they are refused (REST and WebSockets),
through a short denylist of token ids in the cache."""

from __future__ import annotations

from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.urls import re_path

from accounts.middleware import POLICY_VIOLATION, TokenAuthMiddleware
from observer.routing import NoSuchSocket
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _login(api: Any, user: Any) -> dict[str, str]:
    response = api.post("/api/auth/login", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return dict(response.json())


def _me(api: Any, access: str) -> int:
    return int(api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code)


async def _socket_accepts(access: str) -> bool:
    app = TokenAuthMiddleware(URLRouter([re_path(r"", NoSuchSocket.as_asgi())]))
    socket = WebsocketCommunicator(app, "/ws/anything/", subprotocols=["observer", f"bearer.{access}"])
    connected, code = await socket.connect(timeout=5)
    if connected:
        await socket.disconnect()
        return True
    assert code == POLICY_VIOLATION
    return False


def test_logout_ends_the_access_token_of_that_sign_in(api, student) -> None:
    pair = _login(api, student)
    assert _me(api, pair["access"]) == 200
    assert api.post("/api/auth/logout", {"refresh": pair["refresh"]}, format="json").status_code == 204
    response = api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


async def test_logout_ends_the_access_token_for_websockets_too(api, student) -> None:
    from asgiref.sync import sync_to_async

    pair = await sync_to_async(_login)(api, student)
    assert await _socket_accepts(pair["access"])
    await sync_to_async(api.post)("/api/auth/logout", {"refresh": pair["refresh"]}, format="json")
    assert not await _socket_accepts(pair["access"])


def test_a_refresh_ends_the_access_tokens_minted_before_it(api, student) -> None:
    first = _login(api, student)
    rotated = api.post("/api/auth/refresh", {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200, rotated.content
    second = rotated.json()
    assert _me(api, first["access"]) == 401
    assert _me(api, second["access"]) == 200
    third = api.post("/api/auth/refresh", {"refresh": second["refresh"]}, format="json").json()
    assert (_me(api, second["access"]), _me(api, third["access"])) == (401, 200)
    assert api.post("/api/auth/refresh", {"refresh": first["refresh"]}, format="json").status_code == 401
    assert api.post("/api/auth/logout", {"refresh": third["refresh"]}, format="json").status_code == 204
    assert _me(api, third["access"]) == 401


def test_logging_out_of_one_sign_in_leaves_the_others(api, student) -> None:
    laptop, phone = _login(api, student), _login(api, student)
    api.post("/api/auth/logout", {"refresh": laptop["refresh"]}, format="json")
    assert (_me(api, laptop["access"]), _me(api, phone["access"])) == (401, 200)


def test_a_refreshed_pair_carries_the_users_current_role(api, student) -> None:
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    pair = _login(api, student)
    student.role = "teacher"
    student.save()
    fresh = api.post("/api/auth/refresh", {"refresh": pair["refresh"]}, format="json").json()
    assert RefreshToken(fresh["refresh"])["role"] == "teacher"
    assert AccessToken(fresh["access"])["role"] == "teacher"


def test_a_deactivated_user_cannot_refresh(api, student) -> None:
    pair = _login(api, student)
    student.is_active = False
    student.save()
    assert api.post("/api/auth/refresh", {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_the_denylist_keeps_an_entry_only_as_long_as_an_access_token_lives(api, student, monkeypatch) -> None:
    from django.conf import settings

    from accounts import denylist

    pair = _login(api, student)
    timeouts: list[Any] = []
    real_set = cache.set

    def recording_set(key: str, value: Any, timeout: Any = None, **kwargs: Any) -> Any:
        if key.startswith(denylist.KEY_PREFIX):
            timeouts.append(timeout)
        return real_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(cache, "set", recording_set)
    api.post("/api/auth/logout", {"refresh": pair["refresh"]}, format="json")
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    assert timeouts and all(lifetime <= t <= lifetime + 60 for t in timeouts), timeouts


def test_a_cache_that_does_not_answer_ends_nothing_and_breaks_nothing(api, student) -> None:
    """Tokens then live their normal lifetime; signed-in requests and logout still work."""
    import socket

    from django.test import override_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pair = _login(api, student)
    broken = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": f"redis://127.0.0.1:{port}/0"}}  # fmt: skip
    with override_settings(CACHES=broken, RATELIMIT_ENABLE=False):
        assert _me(api, pair["access"]) == 200
        assert api.post("/api/auth/logout", {"refresh": pair["refresh"]}, format="json").status_code == 204
    assert api.post("/api/auth/refresh", {"refresh": pair["refresh"]}, format="json").status_code == 401
