"""A small GitHub REST client on httpx: the calls archiving needs (repositories and the
Git Data API), GitHub's rate limits honoured, and errors that say what to do."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from gitarchive import conf

logger = logging.getLogger("observer.github")

# Waiting longer than this for a rate limit fails the job (it says when to try again).
MAX_WAIT_SECONDS = 15 * 60
SERVER_ERROR_TRIES = 3


class GitHubError(Exception):
    """A failure the user can act on: `code` for the app, `message` says what to do."""

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _wait_seconds(response: httpx.Response, now: float) -> float | None:
    """How long GitHub asks us to wait, if this answer is a rate limit."""
    if response.status_code not in (403, 429):
        return None
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(1.0, float(retry_after))
        except ValueError:
            try:
                return max(1.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                return 60.0
    if response.headers.get("X-RateLimit-Remaining") == "0":
        try:
            return max(1.0, float(response.headers.get("X-RateLimit-Reset", "0")) - now)
        except ValueError:
            return 60.0
    if response.status_code == 429:
        return 60.0
    return None


class GitHub:
    def __init__(
        self,
        token: str,
        *,
        api_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._sleep = sleep
        self._on_wait = on_wait
        self._http = httpx.Client(
            base_url=api_url or conf.api_url(),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "Observer-classroom",
            },
            timeout=httpx.Timeout(30.0, connect=10.0),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, json: Any = None, ok: tuple[int, ...] = (200, 201)) -> httpx.Response:
        """One call; rate limits are waited out, server errors retried a few times. Answers
        in `ok` (and 404/409/422, which callers read) are returned; the rest raise."""
        server_errors = 0
        while True:
            try:
                response = self._http.request(method, path.lstrip("/"), json=json)
            except httpx.HTTPError as error:
                server_errors += 1
                if server_errors >= SERVER_ERROR_TRIES:
                    raise GitHubError(
                        "github_unavailable", "GitHub cannot be reached right now. Try again in a few minutes."
                    ) from error
                self._sleep(2.0 * server_errors)
                continue
            wait = _wait_seconds(response, time.time())
            if wait is not None:
                if wait > MAX_WAIT_SECONDS:
                    minutes = int(wait // 60) + 1
                    raise GitHubError(
                        "rate_limited",
                        f"GitHub's rate limit for this token is used up; try again in about {minutes} minutes.",
                        status=response.status_code,
                    )
                logger.info("GitHub rate limit: waiting %.0f s before %s %s", wait, method, path)
                if self._on_wait:  # the caller waits (and shows it)
                    self._on_wait(wait)
                else:
                    self._sleep(wait)
                continue
            if response.status_code >= 500:
                server_errors += 1
                if server_errors >= SERVER_ERROR_TRIES:
                    raise GitHubError(
                        "github_unavailable",
                        f"GitHub answered {response.status_code} several times. Try again in a few minutes.",
                        status=response.status_code,
                    )
                self._sleep(2.0 * server_errors)
                continue
            if response.status_code == 401:
                raise GitHubError(
                    "token_expired",
                    "GitHub refused the token (expired or revoked). Connect GitHub again or paste a new token "
                    "on your GitHub page.",
                    status=401,
                )
            if response.status_code in ok or response.status_code in (404, 409, 422):
                return response
            if response.status_code == 403:
                raise GitHubError(
                    "forbidden",
                    "GitHub refused this with the token's permissions: "
                    f"{_message(response)}. A fine-grained token needs Contents and Administration "
                    "(read and write) on the repository; an organisation may need to approve the app.",
                    status=403,
                )
            raise GitHubError("github_error", f"GitHub answered {response.status_code}: {_message(response)}",
                              status=response.status_code)

    # --- the calls -------------------------------------------------------------------------

    def viewer(self) -> dict[str, Any]:
        response = self.request("GET", "user")
        if response.status_code != 200:
            raise GitHubError("github_error", f"GitHub answered {response.status_code} for the token's user.")
        body = response.json()
        body["_scopes"] = response.headers.get("X-OAuth-Scopes", "")
        return dict(body)

    def repository(self, owner: str, name: str) -> dict[str, Any] | None:
        response = self.request("GET", f"repos/{quote(owner)}/{quote(name)}")
        return dict(response.json()) if response.status_code == 200 else None

    def create_repository(self, *, org: str, name: str, private: bool, description: str) -> dict[str, Any]:
        path = f"orgs/{quote(org)}/repos" if org else "user/repos"
        body = {"name": name, "private": private, "description": description[:300], "auto_init": True}
        response = self.request("POST", path, json=body)
        if response.status_code == 201:
            return dict(response.json())
        if response.status_code == 404 and org:
            raise GitHubError(
                "no_org_access",
                f"The token cannot create repositories in the organisation {org!r}: check its name, that you "
                "may create repositories there, and that the organisation allows this OAuth app "
                "(Settings → Third-party access).",
                status=404,
            )
        if response.status_code == 422 and "exist" in response.text:
            raise GitHubError(
                "name_taken", f"A repository named {name!r} already exists there and the token cannot write to "
                "it. Choose another name.", status=422,
            )
        raise GitHubError("github_error", f"GitHub refused to create the repository: {_message(response)}",
                          status=response.status_code)

    def head(self, owner: str, name: str, branch: str) -> tuple[str, str] | None:
        """(commit sha, tree sha) of the branch, or None for an empty repository."""
        repo = f"repos/{quote(owner)}/{quote(name)}"
        response = self.request("GET", f"{repo}/git/ref/heads/{quote(branch)}")
        if response.status_code in (404, 409):
            return None
        commit_sha = response.json()["object"]["sha"]
        commit = self.request("GET", f"{repo}/git/commits/{commit_sha}").json()
        return commit_sha, commit["tree"]["sha"]

    def tree_paths(self, owner: str, name: str, tree_sha: str) -> dict[str, str]:
        """{path: blob sha} of every file in a tree."""
        response = self.request("GET", f"repos/{quote(owner)}/{quote(name)}/git/trees/{tree_sha}?recursive=1")
        if response.status_code != 200:
            return {}
        return {e["path"]: e["sha"] for e in response.json().get("tree", []) if e.get("type") == "blob"}

    def blob_text(self, owner: str, name: str, sha: str) -> str | None:
        import base64

        response = self.request("GET", f"repos/{quote(owner)}/{quote(name)}/git/blobs/{sha}")
        if response.status_code != 200:
            return None
        body = response.json()
        if body.get("encoding") == "base64":
            return base64.b64decode(body.get("content", "")).decode("utf-8", "replace")
        return str(body.get("content", ""))

    def create_blob(self, owner: str, name: str, content: str) -> str:
        response = self.request(
            "POST", f"repos/{quote(owner)}/{quote(name)}/git/blobs", json={"content": content, "encoding": "utf-8"}
        )
        if response.status_code != 201:
            raise _write_refused(response, name)
        return str(response.json()["sha"])

    def create_tree(self, owner: str, name: str, entries: dict[str, str]) -> str:
        tree = [{"path": path, "mode": "100644", "type": "blob", "sha": sha} for path, sha in sorted(entries.items())]
        response = self.request("POST", f"repos/{quote(owner)}/{quote(name)}/git/trees", json={"tree": tree})
        if response.status_code != 201:
            raise _write_refused(response, name)
        return str(response.json()["sha"])

    def create_commit(self, owner: str, name: str, *, message: str, tree: str, parent: str) -> str:
        response = self.request(
            "POST", f"repos/{quote(owner)}/{quote(name)}/git/commits",
            json={"message": message, "tree": tree, "parents": [parent]},
        )
        if response.status_code != 201:
            raise _write_refused(response, name)
        return str(response.json()["sha"])

    def move_branch(self, owner: str, name: str, branch: str, sha: str) -> bool:
        """Fast-forward only (never a force-push): False if the branch moved meanwhile."""
        response = self.request(
            "PATCH", f"repos/{quote(owner)}/{quote(name)}/git/refs/heads/{quote(branch)}",
            json={"sha": sha, "force": False},
        )
        if response.status_code == 200:
            return True
        if response.status_code == 422:
            return False
        raise _write_refused(response, name)


def revoke_app_token(token: str) -> bool:
    """Ends an OAuth token Observer's app was given (GitHub: DELETE
    /applications/{client_id}/token, authenticated as the app). False if GitHub did not
    confirm (the token stays forgotten here either way)."""
    from django.conf import settings

    try:
        response = httpx.request(
            "DELETE", f"{conf.api_url()}applications/{quote(settings.GITHUB_CLIENT_ID)}/token",
            auth=(settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET), json={"access_token": token},
            headers={"Accept": "application/vnd.github+json", "User-Agent": "Observer-classroom"}, timeout=10.0,
        )
    except httpx.HTTPError:
        logger.warning("GitHub could not be reached to revoke a token")
        return False
    return response.status_code in (204, 404)  # 404: already gone


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200] or response.reason_phrase
    except ValueError:
        return response.reason_phrase


def _write_refused(response: httpx.Response, name: str) -> GitHubError:
    if response.status_code == 404:
        return GitHubError(
            "no_write_access", f"The token cannot write to the repository {name!r}. Give it write access to the "
            "repository's contents, or choose another repository.", status=404,
        )
    if response.status_code == 409:
        return GitHubError("repository_empty", f"The repository {name!r} is empty or being set up; try again in "
                           "a minute, or choose a new name so Observer creates it.", status=409)
    return GitHubError("github_error", f"GitHub refused the write: {_message(response)}", status=response.status_code)
