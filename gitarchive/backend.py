"""social-auth's GitHub backend, pointed at github.com or a GitHub Enterprise server by
settings, asking for `repo` only on the round trip that connects GitHub for archiving."""

from __future__ import annotations

from typing import Any

from social_core.backends.github import GithubOAuth2

from gitarchive import conf

INTENT_KEY = "observer_github_intent"  # in the Django session, for the round trip only


class GitHubOAuth2(GithubOAuth2):  # type: ignore[type-arg]
    name = "github"

    def authorization_url(self) -> str:
        return conf.web_url() + "/login/oauth/authorize"

    def access_token_url(self) -> str:
        return conf.web_url() + "/login/oauth/access_token"

    def api_url(self) -> str:
        return conf.api_url()

    def get_scope(self) -> list[str]:
        scope = ["read:user", "user:email"]
        intent = self.strategy.session_get(INTENT_KEY) or {}
        if isinstance(intent, dict) and intent.get("purpose") == "archive":
            scope.append("repo")
        return scope

    def get_key_and_secret(self) -> tuple[Any, Any]:
        from django.conf import settings

        return settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET
