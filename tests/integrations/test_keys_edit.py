"""A key's webhook URL and test-sessions rate: set when it is made (REST API and
`manage.py create_api_key`) and changed afterwards (PATCH), checked (a 400 on the field,
nothing changed), audited."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from integrations.keys_api import RATE_MESSAGE
from integrations.models import ApiKey
from monitoring.models import AuditEvent
from tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db

HOOK = "https://93.184.215.14/hooks/observer"  # a public address (no name to resolve)


def test_a_key_is_made_with_its_webhook_url_and_test_sessions_rate(client_for: Any, teacher: Any) -> None:
    made = client_for(teacher).post("/api/integrations/keys/", {
        "name": "Interviews", "scopes": ["test-sessions"], "webhook_url": HOOK, "test_sessions_rate": "20/h"},
        format="json")
    assert made.status_code == 201, made.json()
    assert (made.json()["webhook_url"], made.json()["test_sessions_rate"]) == (HOOK, "20/h")
    assert len(made.json()["webhook_secret"]) == 64
    row = ApiKey.objects.get()
    assert (row.webhook_url, row.test_sessions_rate) == (HOOK, "20/h")


@pytest.mark.parametrize(("body", "field", "says"), [
    ({"webhook_url": "http://169.254.169.254/latest/meta-data/"}, "webhook_url", "non-public address"),
    ({"webhook_url": "http://127.0.0.1:8000/hook"}, "webhook_url", "non-public address"),
    ({"webhook_url": "ftp://example.com/hook"}, "webhook_url", "http or https"),
    ({"webhook_url": "http://user:pw@93.184.215.14/"}, "webhook_url", "credentials"),
    ({"test_sessions_rate": "lots"}, "test_sessions_rate", RATE_MESSAGE),
    ({"test_sessions_rate": "50/15 minutes"}, "test_sessions_rate", RATE_MESSAGE),
    ({"executions_rate": "-1/m"}, "executions_rate", RATE_MESSAGE),
])
def test_a_bad_webhook_url_or_rate_is_a_400_on_its_field(client_for: Any, teacher: Any, body: dict[str, Any],
                                                         field: str, says: str) -> None:
    made = client_for(teacher).post("/api/integrations/keys/", {"name": "x", "scopes": ["read"], **body},
                                    format="json")
    assert made.status_code == 400 and made.json()["error"]["code"] == "invalid"
    assert says in made.json()["error"]["details"][field][0]
    assert not ApiKey.objects.exists()


def test_a_key_is_changed_and_the_change_audited(client_for: Any, teacher: Any, make_key: Any) -> None:
    issued = make_key("execute")
    path = f"/api/integrations/keys/{issued.key.pk}/"
    changed = client_for(teacher).patch(path, {"webhook_url": HOOK, "test_sessions_rate": "5/m",
                                               "name": "Renamed"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["webhook_url"], changed.json()["test_sessions_rate"], changed.json()["name"]) == (
        HOOK, "5/m", "Renamed")
    assert "secret" not in changed.json() and "webhook_secret" not in changed.json()
    row = ApiKey.objects.get()
    assert (row.webhook_url, row.test_sessions_rate, row.scopes) == (HOOK, "5/m", ["execute"])
    assert (row.secret_hash, row.webhook_secret) == (issued.key.secret_hash, issued.key.webhook_secret)
    event = AuditEvent.objects.get(action="api_key.updated")
    assert sorted(event.details["changed"]) == ["name", "test_sessions_rate", "webhook_url"]
    cleared = client_for(teacher).patch(path, {"webhook_url": "", "test_sessions_rate": ""}, format="json")
    assert cleared.status_code == 200
    assert (cleared.json()["webhook_url"], cleared.json()["test_sessions_rate"]) == ("", "")


def test_a_bad_change_is_a_400_and_changes_nothing(client_for: Any, teacher: Any, make_key: Any) -> None:
    issued = make_key("execute", webhook_url=HOOK, test_sessions_rate="5/m")
    path = f"/api/integrations/keys/{issued.key.pk}/"
    for body, field in (({"webhook_url": "http://10.0.0.5/hook"}, "webhook_url"),
                        ({"test_sessions_rate": "often"}, "test_sessions_rate"),
                        ({"scopes": []}, "scopes"), ({"allowed_ips": ["nowhere"]}, "allowed_ips"),
                        ({"name": ""}, "name")):
        refused = client_for(teacher).patch(path, {"test_sessions_rate": "9/m", **body}, format="json")
        assert refused.status_code == 400, body
        assert field in refused.json()["error"]["details"]
    row = ApiKey.objects.get()
    assert (row.webhook_url, row.test_sessions_rate) == (HOOK, "5/m")
    assert not AuditEvent.objects.filter(action="api_key.updated").exists()


def test_who_may_change_a_key(client_for: Any, teacher: Any, student: Any, admin_user: Any,
                              make_key: Any) -> None:
    theirs = make_key(owner=TeacherFactory())
    body = {"test_sessions_rate": "1/m"}
    assert client_for(teacher).patch(f"/api/integrations/keys/{theirs.key.pk}/", body,
                                     format="json").status_code == 404
    assert client_for(student).patch(f"/api/integrations/keys/{theirs.key.pk}/", body,
                                     format="json").status_code == 403
    admin = client_for(admin_user).patch(f"/api/integrations/keys/{theirs.key.pk}/",
                                         {**body, "owner": str(admin_user.pk)}, format="json")
    assert admin.status_code == 200 and admin.json()["owner"] == theirs.key.owner.username  # the owner stays
    client_for(admin_user).post(f"/api/integrations/keys/{theirs.key.pk}/revoke")
    revoked = client_for(admin_user).patch(f"/api/integrations/keys/{theirs.key.pk}/", body, format="json")
    assert revoked.status_code == 409 and revoked.json()["error"]["code"] == "conflict"


def test_the_command_takes_the_webhook_url_and_every_rate(teacher: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", teacher.username, "--scopes", "execute,test-sessions", "--test-sessions-rate",
                 "20/h", "--executions-rate", "30/m", "--webhook-url", HOOK, stdout=out, stderr=err)
    key = ApiKey.objects.get()
    assert out.getvalue().strip().startswith(f"obs_{key.prefix}_")
    assert (key.webhook_url, key.test_sessions_rate, key.executions_rate) == (HOOK, "20/h", "30/m")
    assert key.scopes == ["execute", "test-sessions"]
    assert err.getvalue().strip() == f"webhook secret: {key.webhook_secret}"


@pytest.mark.parametrize(("args", "says"), [
    (["--webhook-url", "http://169.254.169.254/"], "non-public address"),
    (["--test-sessions-rate", "lots"], "--test-sessions-rate"),
    (["--requests-rate", "1/fortnight"], "--requests-rate"),
    (["--scopes", "root"], "--scopes"),
])
def test_the_command_refuses_bad_options_and_makes_nothing(teacher: Any, args: list[str], says: str) -> None:
    with pytest.raises(CommandError, match=says):
        call_command("create_api_key", teacher.username, *args, stdout=io.StringIO())
    assert not ApiKey.objects.exists()
