"""A teacher's own keys page (/account/keys) relies on the keys API answering a teacher
with their own keys only: another user's key (a teacher's or an admin's) is not listed and
cannot be read, changed, revoked or rotated (404, as if it did not exist), and stays as it was."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.models import ApiKey
from tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db


def test_a_teacher_reaches_none_of_another_users_keys(client_for: Any, teacher: Any, admin_user: Any,
                                                      make_key: Any) -> None:
    mine = make_key()
    colleagues = make_key(owner=TeacherFactory())
    admins = make_key(owner=admin_user)
    client = client_for(teacher)

    assert [k["id"] for k in client.get("/api/integrations/keys/").json()] == [str(mine.key.pk)]
    for other in (colleagues, admins):
        url = f"/api/integrations/keys/{other.key.pk}/"
        assert client.get(url).status_code == 404
        assert client.patch(url, {"name": "taken"}, format="json").status_code == 404
        assert client.post(f"{url}rotate").status_code == 404
        assert client.post(f"{url}revoke").status_code == 404
        row = ApiKey.objects.get(pk=other.key.pk)
        assert (row.name, row.prefix, row.revoked_at) == (other.key.name, other.key.prefix, None)


def test_a_teacher_rotates_and_revokes_their_own_key(client_for: Any, teacher: Any, make_key: Any,
                                                     key_client: Any) -> None:
    mine = make_key()
    client = client_for(teacher)
    rotated = client.post(f"/api/integrations/keys/{mine.key.pk}/rotate")
    assert rotated.status_code == 200 and rotated.json()["secret"] != mine.secret
    assert key_client(mine.secret, "X-Auth-Token").get("/judge0/about").status_code == 401
    assert key_client(rotated.json()["secret"], "X-Auth-Token").get("/judge0/about").status_code == 200

    revoked = client.post(f"/api/integrations/keys/{mine.key.pk}/revoke")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert key_client(rotated.json()["secret"], "X-Auth-Token").get("/judge0/about").status_code == 401
    listed = client.get("/api/integrations/keys/").json()
    assert [(k["id"], k["revoked_at"] is not None) for k in listed] == [(str(mine.key.pk), True)]
