"""A live class for AI help tests: a teacher, a student who joined, a peer, a guest, an
outsider, an admin; the key-secrecy check every test applies to what it saw."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rest_framework.test import APIClient

from assist import services
from assist.models import Policy
from tests.assist.conftest import KEY
from tests.factories import AdminFactory, TeacherFactory, UserFactory
from tests.live_factories import make_document, make_participant, make_session, token_for

KEY_TAIL = KEY[-4:]
KEY_BODY = KEY[8:-4]  # the part no masked form shows


@dataclass
class AssistClass:
    teacher: Any
    student: Any
    peer_user: Any
    outsider: Any
    admin: Any
    session: Any
    participant: Any
    peer: Any
    guest: Any
    document: Any


def make_class(*, mode: str = "full", per_hour: int = 10, budget: int = 300, base_url: str | None = None,
               model: str = "tutor", students_see_each_other: bool = True) -> AssistClass:  # fmt: skip
    teacher = TeacherFactory(password=None)
    student, peer_user, outsider = UserFactory(password=None), UserFactory(password=None), UserFactory(password=None)
    session = make_session(teacher=teacher, students_see_each_other=students_see_each_other)
    participant = make_participant(session=session, user=student, display_name="Ada")
    peer = make_participant(session=session, user=peer_user, display_name="Bob")
    guest = make_participant(session=session, guest=True, display_name="Guest")
    document = make_document(participant=participant, content="if True\n    print('hi')\n")
    if base_url:
        services.provider_set(owner=teacher, set_by=teacher, base_url=base_url, model=model, organization="",
                              api_key=KEY)  # fmt: skip
    Policy.objects.create(session=session, mode=mode, per_student_per_hour=per_hour, session_budget=budget)
    return AssistClass(teacher, student, peer_user, outsider, AdminFactory(password=None), session, participant,
                       peer, guest, document)  # fmt: skip


def client(principal: Any) -> APIClient:
    api = APIClient()
    if principal is not None:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(principal)}")
    return api


def assert_no_key(*texts: Any) -> None:
    """Neither the key nor any part a mask hides appears in what was seen."""
    for text in texts:
        seen = (
            text
            if isinstance(text, str)
            else json.dumps(text, default=str)
            if not isinstance(text, bytes)
            else text.decode("utf-8", "replace")
        )
        assert KEY not in seen and KEY_BODY not in seen, "the provider's key leaked"
