"""Providers over REST: admins set the deployment's, teachers their own; the key is stored
sealed, shown only masked, and never in any answer; the connection test."""

from __future__ import annotations

from typing import Any

import pytest

from assist.models import Provider
from observer import secret_box
from tests.assist.conftest import KEY
from tests.assist.fake_openai import FakeOpenAI
from tests.assist.support import assert_no_key, client, make_class

pytestmark = pytest.mark.django_db


def body(fake: FakeOpenAI, **extra: Any) -> dict[str, Any]:
    return {"base_url": fake.base_url, "model": "tutor", "api_key": KEY, **extra}


def test_an_admin_sets_the_deployment_provider_and_sees_only_a_masked_key(fake: FakeOpenAI) -> None:
    room = make_class()
    admin = client(room.admin)
    answer = admin.put("/api/assist/provider", body(fake, organization="org-1"), format="json")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["key_hint"] == "sk-…wxyz" and data["scope"] == "deployment" and data["organization"] == "org-1"
    assert data["set_by"] == room.admin.name and data["set_at"]
    assert_no_key(answer.content, admin.get("/api/assist/provider").content)
    stored = Provider.objects.get(is_deployment=True)
    assert KEY not in stored.sealed_key and secret_box.open_(stored.sealed_key) == KEY
    assert KEY not in str(stored) and KEY not in repr(stored)


def test_changing_the_model_keeps_the_key_and_a_new_provider_needs_one(fake: FakeOpenAI) -> None:
    room = make_class()
    teacher = client(room.teacher)
    refused = teacher.put("/api/assist/my-provider", {"base_url": fake.base_url, "model": "tutor"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid"
    assert not Provider.objects.exists()
    assert teacher.put("/api/assist/my-provider", body(fake), format="json").status_code == 200
    changed = teacher.put("/api/assist/my-provider", {"base_url": fake.base_url, "model": "coder"}, format="json")
    assert changed.json()["model"] == "coder" and changed.json()["key_hint"] == "sk-…wxyz"
    assert secret_box.open_(Provider.objects.get(owner=room.teacher).sealed_key) == KEY


@pytest.mark.parametrize("bad", [{"base_url": "ftp://x/v1"}, {"base_url": "not a url"}, {"model": ""},
                                 {"api_key": "x" * 501}])  # fmt: skip
def test_bad_provider_input_is_refused_and_changes_nothing(fake: FakeOpenAI, bad: dict[str, Any]) -> None:
    room = make_class()
    answer = client(room.teacher).put("/api/assist/my-provider", body(fake, **bad), format="json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    assert not Provider.objects.exists()


def test_the_connection_test(fake: FakeOpenAI) -> None:
    room = make_class()
    teacher = client(room.teacher)
    assert teacher.post("/api/assist/my-provider/test").status_code == 404
    teacher.put("/api/assist/my-provider", body(fake), format="json")
    ok = teacher.post("/api/assist/my-provider/test")
    assert ok.status_code == 200 and ok.json() == {"ok": True, "model": "tutor"}
    Provider.objects.filter(owner=room.teacher).update(sealed_key=secret_box.seal("sk-wrong-000000001111"))
    refused = teacher.post("/api/assist/my-provider/test")
    assert refused.status_code == 502 and refused.json()["error"]["code"] == "key_refused"
    assert "000000001111" not in refused.content.decode()
    teacher.put("/api/assist/my-provider", body(fake, base_url="http://127.0.0.1:9/v1"), format="json")
    down = teacher.post("/api/assist/my-provider/test")
    assert down.status_code == 502 and down.json()["error"]["code"] == "provider_down"
    assert_no_key(ok.content, refused.content, down.content)


def test_deleting_removes_the_provider_and_its_key(fake: FakeOpenAI) -> None:
    room = make_class()
    teacher = client(room.teacher)
    teacher.put("/api/assist/my-provider", body(fake), format="json")
    assert teacher.delete("/api/assist/my-provider").status_code == 204
    assert teacher.get("/api/assist/my-provider").status_code == 404
    assert not Provider.objects.exists()


@pytest.mark.parametrize(
    ("who", "deployment", "own"),
    [("admin", 200, 200), ("teacher", 403, 200), ("student", 403, 403), ("guest", 403, 403),
     ("anonymous", 401, 401)],
)  # fmt: skip
def test_who_may_configure_providers(fake: FakeOpenAI, who: str, deployment: int, own: int) -> None:
    room = make_class()
    principal = {"admin": room.admin, "teacher": room.teacher, "student": room.student, "guest": room.guest,
                 "anonymous": None}[who]  # fmt: skip
    api = client(principal)
    for path, expected in (("/api/assist/provider", deployment), ("/api/assist/my-provider", own)):
        answer = api.put(path, body(fake), format="json")
        assert answer.status_code == expected, (path, answer.content)
        if expected != 200:
            assert answer.json()["error"]["code"] in ("not_authenticated", "permission_denied")
            assert api.get(path).status_code == expected
            assert api.post(f"{path}/test").status_code == expected
        assert_no_key(answer.content)


def test_rotating_the_encryption_keys_reseals_the_provider_key(fake: FakeOpenAI, settings: Any) -> None:
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = old
    room = make_class()
    client(room.teacher).put("/api/assist/my-provider", body(fake), format="json")
    before = Provider.objects.get().sealed_key
    settings.SECRETS_ENCRYPTION_KEYS = f"{new},{old}"
    call_command("rotate_secrets", stdout=io.StringIO())
    settings.SECRETS_ENCRYPTION_KEYS = new  # the old key is gone: the provider still works
    after = Provider.objects.get().sealed_key
    assert after != before and secret_box.open_(after) == KEY
    assert client(room.teacher).post("/api/assist/my-provider/test").json() == {"ok": True, "model": "tutor"}
