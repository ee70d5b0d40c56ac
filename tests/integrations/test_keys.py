"""API keys: made, listed, revoked and rotated through the REST API (teachers their own,
admins all), audited, and authenticating with each header; per-key rate limits."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from integrations import keys
from integrations.models import ApiKey
from monitoring.models import AuditEvent
from tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_key_whose_secret_is_shown_once_and_stored_hashed(client_for: Any, teacher: Any) -> None:
    answer = client_for(teacher).post("/api/integrations/keys/", {"name": "LMS", "scopes": ["execute"]},
                                      format="json")
    assert answer.status_code == 201, answer.json()
    secret = answer.json()["secret"]
    assert secret.startswith("obs_") and answer.json()["prefix"] in secret
    row = ApiKey.objects.get(pk=answer.json()["id"])
    assert secret not in (row.secret_hash, row.prefix) and row.owner == teacher
    listed = client_for(teacher).get("/api/integrations/keys/").json()
    assert [k["id"] for k in listed] == [str(row.pk)] and "secret" not in listed[0]
    assert "secret" not in client_for(teacher).get(f"/api/integrations/keys/{row.pk}/").json()
    assert AuditEvent.objects.filter(action="api_key.created").count() == 1


def test_students_cannot_manage_keys_and_teachers_see_only_their_own(client_for: Any, student: Any, teacher: Any,
                                                                     admin_user: Any, make_key: Any) -> None:
    other = make_key(owner=TeacherFactory())
    mine = make_key()
    assert client_for(student).get("/api/integrations/keys/").status_code == 403
    assert client_for(student).post("/api/integrations/keys/", {"name": "x", "scopes": ["read"]},
                                    format="json").status_code == 403
    assert [k["id"] for k in client_for(teacher).get("/api/integrations/keys/").json()] == [str(mine.key.pk)]
    assert client_for(teacher).post(f"/api/integrations/keys/{other.key.pk}/revoke").status_code == 404
    assert {k["id"] for k in client_for(admin_user).get("/api/integrations/keys/").json()} == {
        str(mine.key.pk), str(other.key.pk)}
    assert client_for(admin_user).post(f"/api/integrations/keys/{other.key.pk}/revoke").status_code == 200


def test_only_admins_create_keys_for_someone_else(client_for: Any, teacher: Any, admin_user: Any) -> None:
    other = TeacherFactory()
    body = {"name": "x", "scopes": ["read"], "owner": str(other.pk)}
    refused = client_for(teacher).post("/api/integrations/keys/", body, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid"
    assert not ApiKey.objects.exists()
    made = client_for(admin_user).post("/api/integrations/keys/", body, format="json")
    assert made.status_code == 201 and made.json()["owner"] == other.username


@pytest.mark.parametrize("body", [
    {"name": "x", "scopes": ["root"]},
    {"name": "x", "scopes": []},
    {"name": "x", "scopes": ["read"], "allowed_ips": ["not-an-ip"]},
    {"name": "x", "scopes": ["read"], "requests_rate": "lots"},
    {"name": 5, "scopes": ["read"]},
])
def test_bad_key_requests_are_refused_and_change_nothing(client_for: Any, teacher: Any, body: Any) -> None:
    answer = client_for(teacher).post("/api/integrations/keys/", body, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    assert not ApiKey.objects.exists() and not AuditEvent.objects.filter(action__startswith="api_key").exists()


@pytest.mark.parametrize("header", ["X-API-Key", "Bearer", "X-Auth-Token"])
def test_a_key_authenticates_with_each_header_on_judge0(make_key: Any, key_client: Any, header: str) -> None:
    issued = make_key("read")
    answer = key_client(issued.secret, header).get("/judge0/statuses")
    assert answer.status_code == 200 and answer.json()[2] == {"id": 3, "description": "Accepted"}
    issued.key.refresh_from_db()
    assert issued.key.use_count == 1 and issued.key.last_used_at is not None


def test_x_auth_token_is_only_judge0s_header(make_key: Any, key_client: Any) -> None:
    issued = make_key("read")
    assert key_client(issued.secret, "X-Auth-Token").get("/api/v1/executions/" + str(issued.key.pk)).status_code \
        == 401


def test_a_jwt_in_the_bearer_header_is_not_taken_for_a_key(client_for: Any, teacher: Any) -> None:
    """A signed-in user's JWT opens the app's API, not the key-only APIs."""
    assert client_for(teacher).get("/api/integrations/keys/").status_code == 200
    assert client_for(teacher).get("/judge0/statuses").status_code == 401


def test_revoked_rotated_expired_and_foreign_address_keys_fail(client_for: Any, teacher: Any, make_key: Any,
                                                              key_client: Any) -> None:
    revoked, rotated = make_key("read"), make_key("read")
    assert client_for(teacher).post(f"/api/integrations/keys/{revoked.key.pk}/revoke").status_code == 200
    answer = key_client(revoked.secret).get("/judge0/statuses")
    assert answer.status_code == 401 and "revoked" in answer.json()["error"]
    new = client_for(teacher).post(f"/api/integrations/keys/{rotated.key.pk}/rotate").json()["secret"]
    assert key_client(rotated.secret).get("/judge0/statuses").status_code == 401
    assert key_client(new).get("/judge0/statuses").status_code == 200
    expired = make_key("read", expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert "expired" in key_client(expired.secret).get("/judge0/statuses").json()["error"]
    elsewhere = make_key("read", allowed_ips=["10.0.0.0/8"])
    assert key_client(elsewhere.secret).get("/judge0/statuses").status_code == 401
    here = make_key("read", allowed_ips=["127.0.0.0/8"])
    assert key_client(here.secret).get("/judge0/statuses").status_code == 200
    assert key_client("obs_00000000_guess").get("/judge0/statuses").status_code == 401
    actions = sorted(AuditEvent.objects.filter(action__startswith="api_key").values_list("action", flat=True))
    assert actions.count("api_key.revoked") == 1 and actions.count("api_key.rotated") == 1
    assert client_for(teacher).post(f"/api/integrations/keys/{revoked.key.pk}/rotate").status_code == 409


def test_every_answer_to_a_key_carries_its_allowance_and_429_past_it(make_key: Any, key_client: Any) -> None:
    issued = make_key("read", requests_rate="3/m")
    client = key_client(issued.secret)
    first = client.get("/judge0/statuses")
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("3", "2")
    assert 0 <= int(first["X-RateLimit-Reset"]) <= 60
    client.get("/judge0/about")
    refused_scope = client.post("/judge0/submissions", {}, format="json")  # no execute scope: 403, still counted
    assert refused_scope.status_code == 403 and refused_scope["X-RateLimit-Remaining"] == "0"
    over = client.get("/judge0/statuses")
    assert over.status_code == 429 and int(over["Retry-After"]) >= 1 and over["X-RateLimit-Remaining"] == "0"
    own = key_client(issued.secret).get("/api/v1/executions/" + str(issued.key.pk))
    assert own.status_code == 429 and own.json()["error"]["code"] == "rate_limited"
    assert own.json()["error"]["details"]["retry_after"] >= 1


def test_the_secret_lookup_needs_the_whole_key(make_key: Any) -> None:
    issued = make_key("read")
    assert keys.key_for_secret(issued.secret) == issued.key
    assert keys.key_for_secret(issued.secret[:-1]) is None
    assert keys.key_for_secret("eyJhbGciOiJIUzI1NiJ9.e30.x") is None
