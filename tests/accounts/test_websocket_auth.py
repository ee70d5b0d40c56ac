"""The WebSocket auth middleware: no valid token, no connection."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path
from rest_framework_simplejwt.tokens import AccessToken

from accounts.middleware import POLICY_VIOLATION, TokenAuthMiddleware
from accounts.tokens import GuestToken

pytestmark = pytest.mark.django_db(transaction=True)


class WhoAmI(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept(subprotocol=self.scope.get("accept_subprotocol"))
        user = self.scope["user"]
        await self.send_json({"name": user.username, "guest": getattr(user, "is_guest", False)})


app = TokenAuthMiddleware(URLRouter([path("ws/whoami/", WhoAmI.as_asgi())]))


async def _connect(path_: str = "/ws/whoami/", subprotocols: list[str] | None = None) -> tuple[bool, Any, Any]:
    communicator = WebsocketCommunicator(app, path_, subprotocols=subprotocols)
    connected, detail = await communicator.connect()
    return connected, detail, communicator


async def test_it_refuses_a_connection_without_a_token() -> None:
    connected, code, _ = await _connect()
    assert connected is False
    assert code == POLICY_VIOLATION


async def test_it_refuses_an_expired_token(student) -> None:
    token = AccessToken.for_user(student)
    token.set_exp(lifetime=-timedelta(seconds=1))
    connected, code, _ = await _connect(f"/ws/whoami/?token={token}")
    assert (connected, code) == (False, POLICY_VIOLATION)


async def test_it_refuses_a_tampered_token(student) -> None:
    token = str(AccessToken.for_user(student))
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[::-1]}"
    connected, code, _ = await _connect(f"/ws/whoami/?token={tampered}")
    assert (connected, code) == (False, POLICY_VIOLATION)


async def test_it_refuses_a_refresh_token_in_place_of_an_access_token(student) -> None:
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = await database_sync_to_async(RefreshToken.for_user)(student)
    connected, code, _ = await _connect(f"/ws/whoami/?token={refresh}")
    assert (connected, code) == (False, POLICY_VIOLATION)


async def test_it_accepts_a_valid_token_in_the_query_string(student) -> None:
    token = AccessToken.for_user(student)
    connected, _, communicator = await _connect(f"/ws/whoami/?token={token}")
    assert connected is True
    assert await communicator.receive_json_from() == {"name": student.username, "guest": False}
    await communicator.disconnect()


async def test_it_accepts_a_token_offered_as_a_subprotocol_and_answers_observer(student) -> None:
    token = AccessToken.for_user(student)
    connected, subprotocol, communicator = await _connect(subprotocols=["observer", f"bearer.{token}"])
    assert connected is True
    assert subprotocol == "observer"
    await communicator.disconnect()


async def test_it_refuses_a_guest_token_whose_participant_does_not_exist() -> None:
    import uuid

    token = GuestToken.for_participant(participant_id=str(uuid.uuid4()), session_id=str(uuid.uuid4()), display_name="x")
    connected, code, _ = await _connect(f"/ws/whoami/?token={token}")
    assert (connected, code) == (False, POLICY_VIOLATION)


async def test_it_accepts_a_guest_token_bound_to_a_live_participant(teacher) -> None:
    from sessions.models import ClassSession, Participant

    def make() -> Participant:
        session = ClassSession.objects.create(teacher=teacher, title="t", language="python", state="live")
        return Participant.objects.create(session=session, display_name="Guest Ada", is_guest=True, guest_key="k")

    participant = await database_sync_to_async(make)()
    token = GuestToken.for_participant(
        participant_id=str(participant.id), session_id=str(participant.session_id), display_name="Guest Ada"
    )
    connected, _, communicator = await _connect(f"/ws/whoami/?token={token}")
    assert connected is True
    assert await communicator.receive_json_from() == {"name": f"guest:{participant.id}", "guest": True}
    await communicator.disconnect()


async def _live_guest(teacher: Any) -> Any:
    from sessions.models import ClassSession, Participant

    def make() -> Participant:
        session = ClassSession.objects.create(teacher=teacher, title="t", language="python", state="live")
        return Participant.objects.create(session=session, display_name="Guest Grace", is_guest=True, guest_key="g")

    return await database_sync_to_async(make)()


def _guest_token(participant: Any) -> GuestToken:
    return GuestToken.for_participant(
        participant_id=str(participant.id), session_id=str(participant.session_id), display_name="Guest Grace"
    )


async def test_it_refuses_an_expired_guest_token_of_a_live_participant(teacher) -> None:
    token = _guest_token(await _live_guest(teacher))
    token.set_exp(lifetime=-timedelta(seconds=1))
    connected, code, _ = await _connect(f"/ws/whoami/?token={token}")
    assert (connected, code) == (False, POLICY_VIOLATION)


async def test_it_refuses_a_guest_token_with_a_tampered_signature_or_payload(teacher) -> None:
    import base64
    import json

    from sessions.models import Participant

    participant = await _live_guest(teacher)
    other = await database_sync_to_async(Participant.objects.create)(
        session_id=participant.session_id, display_name="Guest Two", is_guest=True, guest_key="h"
    )
    header, payload, signature = str(_guest_token(participant)).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(participant_id=str(other.id), session_id=str(other.session_id))
    swapped = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    for tampered in (f"{header}.{payload}.{signature[::-1]}", f"{header}.{swapped}.{signature}"):
        connected, code, _ = await _connect(f"/ws/whoami/?token={tampered}")
        assert (connected, code) == (False, POLICY_VIOLATION)


async def test_it_accepts_a_guest_token_offered_as_a_subprotocol(teacher) -> None:
    participant = await _live_guest(teacher)
    connected, subprotocol, communicator = await _connect(
        subprotocols=["observer", f"bearer.{_guest_token(participant)}"]
    )
    assert (connected, subprotocol) == (True, "observer")
    assert await communicator.receive_json_from() == {"name": f"guest:{participant.id}", "guest": True}
    await communicator.disconnect()


async def test_it_refuses_an_invalid_token_offered_as_a_subprotocol(student) -> None:
    token = str(AccessToken.for_user(student))
    for offered in (f"bearer.{token[:-3]}xyz", "bearer.", "bearer.not-a-jwt"):
        connected, code, _ = await _connect(subprotocols=["observer", offered])
        assert (connected, code) == (False, POLICY_VIOLATION), offered


async def test_it_refuses_an_invalid_subprotocol_token_even_with_a_valid_query_token(student) -> None:
    valid = AccessToken.for_user(student)
    connected, code, _ = await _connect(f"/ws/whoami/?token={valid}", subprotocols=["observer", "bearer.forged"])
    assert (connected, code) == (False, POLICY_VIOLATION)


async def test_it_picks_no_subprotocol_when_observer_is_not_offered(student) -> None:
    connected, subprotocol, communicator = await _connect(subprotocols=[f"bearer.{AccessToken.for_user(student)}"])
    assert (connected, subprotocol) == (True, None)
    await communicator.disconnect()
