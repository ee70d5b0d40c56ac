"""Sign in with GitHub, the whole OAuth dance against the fake GitHub: new accounts are
students, the app gets the JWT pair through a one-time code (never a token in a URL, no
session cookie left), emails are never merged, state is checked, errors are clear."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from social_django.models import UserSocialAuth

from accounts.models import User
from gitarchive.models import GitHubCredential
from monitoring.models import AuditEvent
from observer.secret_box import open_
from tests.factories import UserFactory
from tests.gitarchive.fakegithub import FakeGitHub
from tests.gitarchive.oauth import fragment_code, query_of, round_trip

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    parts = urlparse(url)
    return f"{parts.path}?{parts.query}"


def no_session_left(client: Any) -> bool:
    cookie = client.cookies.get("sessionid")
    return cookie is None or cookie.value == "" or cookie["max-age"] == 0


def test_the_button_shows_only_when_configured(api: Any, settings: Any) -> None:
    settings.GITHUB_CLIENT_ID = ""
    assert api.get("/api/auth/github/config").json()["enabled"] is False
    start = api.get("/api/auth/github/start")
    assert start.status_code == 302 and query_of(start["Location"]) == {"github_error": "not_configured"}
    settings.GITHUB_CLIENT_ID = settings.GITHUB_CLIENT_SECRET = "x"
    assert api.get("/api/auth/github/config").json() == {"enabled": True, "sign_in_url": "/api/auth/github/start"}


def test_a_new_github_user_becomes_a_student_and_gets_the_jwt_pair(api: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-ada", name="Ada Lovelace", email="ada@example.org")
    fake_github.next_login = "octo-ada"
    end = round_trip(api, "/api/auth/github/start?next=/teach")
    assert end.startswith("/login?next=%2Fteach#github_code=")
    # The authorize request carried state and asked for no repository access at sign-in.
    asked = fake_github.authorize_requests[-1]
    assert asked["state"] and "repo" not in asked["scope"].split(",") and asked["client_id"] == "fake-client-id"
    assert no_session_left(api)
    code = fragment_code(end)

    answer = api.post("/api/auth/github/exchange", {"code": code}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["role"] == "student" and body["user"]["display_name"] == "Ada Lovelace"
    me = api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200 and me.json()["username"] == "octo-ada"

    user = User.objects.get(username="octo-ada")
    assert user.email == "ada@example.org" and not user.has_usable_password()
    social = UserSocialAuth.objects.get(user=user, provider="github")
    assert "access_token" not in social.extra_data and social.extra_data["login"] == "octo-ada"
    assert not GitHubCredential.objects.filter(user=user).exists()  # no repo scope, nothing kept
    assert AuditEvent.objects.filter(action="auth.github_signin", actor=user).exists()
    assert AuditEvent.objects.filter(action="auth.login", actor=user).exists()

    again = api.post("/api/auth/github/exchange", {"code": code}, format="json")
    assert again.status_code == 401 and again.json()["error"]["code"] == "authentication_failed"


def test_a_linked_account_signs_in_as_itself(api: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-bo", email="bo@example.org")
    fake_github.next_login = "octo-bo"
    first = api.post("/api/auth/github/exchange", {"code": fragment_code(round_trip(api, "/api/auth/github/start"))},
                     format="json").json()
    second = api.post("/api/auth/github/exchange", {"code": fragment_code(round_trip(api, "/api/auth/github/start"))},
                      format="json").json()
    assert first["user"]["id"] == second["user"]["id"]
    assert User.objects.filter(email="bo@example.org").count() == 1


def test_an_email_another_account_has_is_never_merged(api: Any, fake_github: FakeGitHub) -> None:
    existing = UserFactory(email="Cy@Example.org")
    fake_github.add_user("octo-cy", email="cy@example.org")
    fake_github.next_login = "octo-cy"
    end = round_trip(api, "/api/auth/github/start")
    assert end.startswith("/login?") and query_of(end) == {"github_error": "email_in_use"}
    assert not UserSocialAuth.objects.exists()
    assert User.objects.filter(email__iexact="cy@example.org").count() == 1
    assert list(User.objects.filter(email__iexact="cy@example.org")) == [existing]
    assert no_session_left(api)


def test_denied_consent_is_a_clear_error(api: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-di")
    fake_github.next_login = "octo-di"
    fake_github.deny = True
    end = round_trip(api, "/api/auth/github/start")
    assert query_of(end) == {"github_error": "denied"}
    assert not User.objects.filter(username="octo-di").exists()


def test_state_is_checked(api: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-ed")
    fake_github.next_login = "octo-ed"
    authorize = api.get("/api/auth/github/start")["Location"]
    callback = httpx.get(authorize).headers["location"]
    forged = urlparse(callback.replace("state=", "state=forged"))
    end = api.get(f"{forged.path}?{forged.query}")
    assert end.status_code == 302 and query_of(end["Location"]) == {"github_error": "expired"}
    assert not User.objects.filter(username="octo-ed").exists()
    # A callback with no round trip of this browser behind it (no session) is refused too.
    stray = api.get("/api/auth/github/complete?code=abc&state=def")
    assert query_of(stray["Location"]) == {"github_error": "expired"}


def test_an_expired_code_is_a_clear_error(api: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-fa")
    fake_github.next_login = "octo-fa"
    authorize = api.get("/api/auth/github/start")["Location"]
    callback = httpx.get(authorize).headers["location"]
    fake_github.codes.clear()  # GitHub's code expired before the browser came back
    end = api.get(path_of(callback))
    assert query_of(end["Location"]) == {"github_error": "expired"}


def test_github_down_is_a_clear_error(api: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-go")
    fake_github.next_login = "octo-go"
    authorize = api.get("/api/auth/github/start")["Location"]
    callback = httpx.get(authorize).headers["location"]
    fake_github.down = True
    end = api.get(path_of(callback))
    assert query_of(end["Location"]) == {"github_error": "unavailable"}
    assert not User.objects.filter(username="octo-go").exists()


def test_a_signed_in_user_links_and_unlinks_github(api: Any, client_for: Any, fake_github: FakeGitHub) -> None:
    user = UserFactory(email="hu@example.org")
    fake_github.add_user("octo-hu", email="hu@example.org")  # the same email: linking is explicit, so fine
    fake_github.next_login = "octo-hu"
    client = client_for(user)
    url = client.post("/api/auth/github/connect", {"purpose": "link", "next": "/account/github"}, format="json")
    assert url.status_code == 200, url.content
    end = round_trip(client, url.json()["url"])
    assert end == "/account/github?github=linked"
    assert "repo" not in fake_github.authorize_requests[-1]["scope"]
    account = client.get("/api/auth/github/account").json()
    assert account["linked"] is True and account["login"] == "octo-hu" and account["can_unlink"] is True
    assert AuditEvent.objects.filter(action="auth.github_linked", actor=user).exists()

    # Signing in with GitHub now reaches this account.
    signed = api.post("/api/auth/github/exchange", {"code": fragment_code(round_trip(api, "/api/auth/github/start"))},
                      format="json").json()
    assert signed["user"]["id"] == str(user.pk)

    # A ticket is single-use.
    ticket_url = client.post("/api/auth/github/connect", {"purpose": "link"}, format="json").json()["url"]
    client.get(ticket_url)
    assert query_of(client.get(ticket_url)["Location"]) == {"github_error": "expired"}

    gone = client.delete("/api/auth/github/link")
    assert gone.status_code == 200 and gone.json()["linked"] is False
    assert AuditEvent.objects.filter(action="auth.github_unlinked", actor=user).exists()
    assert client.delete("/api/auth/github/link").status_code == 404


def test_a_github_account_linked_elsewhere_is_refused(api: Any, client_for: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-ivy")
    fake_github.next_login = "octo-ivy"
    api.post("/api/auth/github/exchange", {"code": fragment_code(round_trip(api, "/api/auth/github/start"))},
             format="json")
    other = UserFactory()
    browser = client_for(other)
    url = browser.post("/api/auth/github/connect", {"purpose": "link"}, format="json").json()["url"]
    end = round_trip(browser, url)
    assert end == "/account/github?github_error=taken"
    assert not UserSocialAuth.objects.filter(user=other).exists()


def test_a_github_only_account_cannot_unlink(api: Any, client_for: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-jo")
    fake_github.next_login = "octo-jo"
    api.post("/api/auth/github/exchange", {"code": fragment_code(round_trip(api, "/api/auth/github/start"))},
             format="json")
    user = User.objects.get(username="octo-jo")
    client = client_for(user)
    assert client.get("/api/auth/github/account").json()["can_unlink"] is False
    refused = client.delete("/api/auth/github/link")
    assert refused.status_code == 409 and "only way in" in refused.json()["error"]["message"]
    assert UserSocialAuth.objects.filter(user=user).exists()


def test_connecting_for_archiving_asks_for_repo_and_seals_the_token(
    api: Any, client_for: Any, fake_github: FakeGitHub
) -> None:
    teacher = UserFactory(role="teacher")
    fake_github.add_user("octo-kai")
    fake_github.next_login = "octo-kai"
    client = client_for(teacher)
    url = client.post("/api/auth/github/connect", {"purpose": "archive", "next": "/teach/x?y=1"}, format="json")
    end = round_trip(client, url.json()["url"])
    assert end == "/teach/x?y=1&github=connected"
    assert "repo" in fake_github.authorize_requests[-1]["scope"].split(",")
    credential = GitHubCredential.objects.get(user=teacher)
    issued = [t for t, login in fake_github.tokens.items() if login == "octo-kai" and t.startswith("gho_")]
    assert len(issued) == 1 and issued[0] not in credential.token_sealed and open_(credential.token_sealed) == issued[0]
    account = client.get("/api/auth/github/account").json()
    assert account["token"]["kind"] == "oauth" and account["token"]["masked"].endswith(issued[0][-4:])
    assert issued[0] not in str(account)
    # Forgetting it ends it on GitHub too.
    assert client.delete("/api/auth/github/token").json()["token"] is None
    assert fake_github.revoked == [issued[0]] and issued[0] not in fake_github.tokens
    assert User.objects.get(pk=teacher.pk).role == "teacher"  # linking changes no role


def test_bad_input(api: Any, client_for: Any, fake_github: FakeGitHub) -> None:
    user = UserFactory()
    client = client_for(user)
    for body in ({}, {"code": 5}, {"code": ""}, {"code": "x" * 500}):
        answer = api.post("/api/auth/github/exchange", body, format="json")
        assert answer.status_code in (400, 401) and set(answer.json()) == {"error"}
    for body in ({}, {"purpose": "steal"}, {"purpose": "link", "next": 5}):
        answer = client.post("/api/auth/github/connect", body, format="json")
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    # An off-site `next` never becomes a redirect.
    url = client.post("/api/auth/github/connect", {"purpose": "link", "next": "//evil.example/"},
                      format="json").json()["url"]
    fake_github.add_user("octo-lu")
    fake_github.next_login = "octo-lu"
    assert round_trip(client, url) == "/account/github?github=linked"
    assert api.post("/api/auth/github/connect", {"purpose": "link"}, format="json").status_code == 401


def test_a_code_or_ticket_works_only_in_the_browser_it_was_made_for(client_for: Any, fake_github: FakeGitHub) -> None:
    """Sending someone your sign-in code (login CSRF) or your link ticket (linking their
    GitHub to your account) does nothing in their browser."""
    from rest_framework.test import APIClient

    fake_github.add_user("octo-mo")
    fake_github.next_login = "octo-mo"
    mine, theirs = APIClient(), APIClient()
    code = fragment_code(round_trip(mine, "/api/auth/github/start"))
    refused = theirs.post("/api/auth/github/exchange", {"code": code}, format="json")
    assert refused.status_code == 401
    assert mine.post("/api/auth/github/exchange", {"code": code}, format="json").status_code == 200

    attacker = UserFactory()
    ticket_url = client_for(attacker).post("/api/auth/github/connect", {"purpose": "archive"}, format="json")
    victim = APIClient()
    landed = victim.get(ticket_url.json()["url"])
    assert landed.status_code == 302 and query_of(landed["Location"]) == {"github_error": "expired"}
    assert not GitHubCredential.objects.filter(user=attacker).exists()
    assert not UserSocialAuth.objects.filter(user=attacker).exists()


def test_a_github_login_an_account_has_in_another_case_gets_a_name_of_its_own(
    api: Any, fake_github: FakeGitHub
) -> None:
    existing = UserFactory(username="Octo-Nu")
    fake_github.add_user("octo-nu")
    fake_github.next_login = "octo-nu"
    answer = api.post("/api/auth/github/exchange", {"code": fragment_code(round_trip(api, "/api/auth/github/start"))},
                      format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["user"]["username"] == "octo-nu-2" and answer.json()["user"]["id"] != str(existing.pk)


def test_a_github_name_outside_observers_rule_for_names_is_not_kept(api: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_user("octo-xi", name="Evil\u202eName\x1b[31m")
    fake_github.next_login = "octo-xi"
    answer = api.post("/api/auth/github/exchange", {"code": fragment_code(round_trip(api, "/api/auth/github/start"))},
                      format="json")
    assert answer.json()["user"]["display_name"] == ""  # the username is shown instead
