"""A small GitHub that the tests start on a free port of this machine: the OAuth
endpoints (authorize, access_token), the REST API's user, emails and repositories, and
the Git Data API (blobs, trees, commits, refs), kept in memory. It can answer a rate
limit or a permission error on demand, and records what it received."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse


def _sha(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()


@dataclass
class Repo:
    owner: str
    name: str
    private: bool
    default_branch: str = "main"
    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    writers: set[str] = field(default_factory=set)

    def files_at(self, branch: str | None = None) -> dict[str, str]:
        """{path: text} of the branch's head."""
        head = self.refs[branch or self.default_branch]
        tree = self.trees[self.commits[head]["tree"]]
        return {path: self.blobs[sha].decode() for path, sha in tree.items()}

    def history(self, branch: str | None = None) -> list[dict[str, Any]]:
        out, sha = [], self.refs.get(branch or self.default_branch)
        while sha:
            commit = self.commits[sha]
            out.append({"sha": sha, **commit})
            sha = commit["parents"][0] if commit["parents"] else None
        return out


@dataclass
class Failure:
    method: str
    path: str  # a regular expression, matched against the path
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    times: int = 1


class FakeGitHub:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}  # token -> login
        self.token_scopes: dict[str, str] = {}
        self.orgs: dict[str, set[str]] = {}  # org -> members
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (login, scope)
        self.repos: dict[tuple[str, str], Repo] = {}
        self.failures: list[Failure] = []
        self.requests: list[tuple[str, str]] = []
        self.authorize_requests: list[dict[str, str]] = []
        self.next_login = ""  # who "signs in" at the authorize page
        self.deny = False  # the user refuses consent
        self.down = False  # every endpoint answers 503
        self.client_secret = "fake-client-secret"
        self.revoked: list[str] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- set-up --------------------------------------------------------------------

    def add_user(self, login: str, *, name: str = "", email: str = "", public_email: bool = False,
                 orgs: tuple[str, ...] = ()) -> str:
        """Adds a GitHub user; returns a token of theirs (as a pasted token would be)."""
        uid = 1000 + len(self.users)
        self.users[login] = {"login": login, "id": uid, "name": name or login, "email": email if public_email else None,
                             "emails": [{"email": email, "primary": True, "verified": True}] if email else []}
        for org in orgs:
            self.orgs.setdefault(org, set()).add(login)
        token = "ghp_" + secrets.token_hex(16)
        self.tokens[token] = login
        self.token_scopes[token] = "repo"
        return token

    def fail(self, method: str, path: str, status: int, *, headers: dict[str, str] | None = None,
             message: str = "", times: int = 1) -> None:
        self.failures.append(Failure(method, path, status, headers or {}, {"message": message or "fake failure"},
                                     times))

    def repo(self, owner: str, name: str) -> Repo:
        return self.repos[(owner.lower(), name.lower())]

    # --- serving -----------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = b"" if status == 204 else json.dumps(body if body is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, url: str) -> None:
                self.send_response(302)
                self.send_header("Location", url)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _handle(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.requests.append((method, url.path))
                    if fake.down:
                        return self._answer(503, {"message": "Service unavailable"})
                    for failure in fake.failures:
                        if failure.method == method and re.search(failure.path, url.path) and failure.times > 0:
                            failure.times -= 1
                            return self._answer(failure.status, failure.body, failure.headers)
                    status, body, headers = fake.route(method, url.path, parse_qs(url.query), raw,
                                                       self.headers.get("Authorization", ""))
                if status == 302:
                    return self._redirect(body)
                return self._answer(status, body, headers)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- routes --------------------------------------------------------------------------

    def route(self, method: str, path: str, query: dict[str, list[str]], raw: bytes,
              authorization: str) -> tuple[int, Any, dict[str, str]]:
        one = {k: v[0] for k, v in query.items()}
        if path == "/login/oauth/authorize" and method == "GET":
            self.authorize_requests.append(one)
            target = one["redirect_uri"]
            if self.deny:
                params = {"error": "access_denied", "error_description": "The user has denied your application "
                          "access.", "state": one.get("state", "")}
                return 302, f"{target}?{urlencode(params)}", {}
            code = secrets.token_hex(10)
            self.codes[code] = (self.next_login, one.get("scope", ""))
            return 302, f"{target}?{urlencode({'code': code, 'state': one.get('state', '')})}", {}
        if path == "/login/oauth/access_token" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            entry = self.codes.pop(form.get("code", ""), None)
            if entry is None:
                return 200, {"error": "bad_verification_code",
                             "error_description": "The code passed is incorrect or expired."}, {}
            login, scope = entry
            token = "gho_" + secrets.token_hex(16)
            self.tokens[token] = login
            self.token_scopes[token] = scope
            return 200, {"access_token": token, "token_type": "bearer", "scope": scope}, {}
        if not path.startswith("/api/"):
            return 404, {"message": "Not Found"}, {}
        if method == "DELETE" and (m := re.fullmatch(r"/api/applications/([^/]+)/token", path)):
            expected = "Basic " + base64.b64encode(f"{m.group(1)}:{self.client_secret}".encode()).decode()
            if authorization != expected:
                return 401, {"message": "Bad credentials"}, {}
            token = json.loads(raw or b"{}").get("access_token", "")
            if self.tokens.pop(token, None) is None:
                return 404, {"message": "Not Found"}, {}
            self.revoked.append(token)
            return 204, None, {}
        token = authorization.split(" ", 1)[-1] if authorization else ""
        login = self.tokens.get(token)
        if login is None:
            return 401, {"message": "Bad credentials"}, {}
        return self.api(method, path[len("/api"):], one, json.loads(raw or b"{}"), login, token)

    def api(self, method: str, path: str, query: dict[str, str], body: dict[str, Any], login: str,
            token: str) -> tuple[int, Any, dict[str, str]]:
        user = self.users[login]
        scopes = {"X-OAuth-Scopes": self.token_scopes.get(token, "")}
        if path == "/user" and method == "GET":
            return 200, {k: v for k, v in user.items() if k != "emails"}, scopes
        if path == "/user/emails" and method == "GET":
            return 200, user["emails"], {}
        if method == "POST" and (path == "/user/repos" or re.fullmatch(r"/orgs/[^/]+/repos", path)):
            owner = login if path == "/user/repos" else path.split("/")[2]
            if owner != login and login not in self.orgs.get(owner, set()):
                return 404, {"message": "Not Found"}, {}
            if "repo" not in self.token_scopes.get(token, ""):
                return 403, {"message": "Resource not accessible by integration"}, {}
            key = (owner.lower(), body["name"].lower())
            if key in self.repos:
                return 422, {"message": "Repository creation failed.",
                             "errors": [{"message": "name already exists on this account"}]}, {}
            repo = Repo(owner=owner, name=body["name"], private=bool(body.get("private", False)), writers={login})
            self.repos[key] = repo
            if body.get("auto_init"):
                self._commit(repo, {"README.md": f"# {body['name']}\n".encode()}, "Initial commit", [])
            return 201, self._repo_json(repo, login), {}
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if not match:
            return 404, {"message": "Not Found"}, {}
        repo_or_none = self.repos.get((match.group(1).lower(), match.group(2).lower()))
        if repo_or_none is None or (repo_or_none.private and login not in repo_or_none.writers):
            return 404, {"message": "Not Found"}, {}
        repo = repo_or_none
        rest = match.group(3) or ""
        if rest == "" and method == "GET":
            return 200, self._repo_json(repo, login), {}
        if method != "GET" and login not in repo.writers:
            return 404, {"message": "Not Found"}, {}
        if method == "GET" and (m := re.fullmatch(r"/git/ref/heads/(.+)", rest)):
            if not repo.refs:
                return 409, {"message": "Git Repository is empty."}, {}
            sha = repo.refs.get(m.group(1))
            return (200, {"ref": f"refs/heads/{m.group(1)}", "object": {"sha": sha, "type": "commit"}}, {}) if sha \
                else (404, {"message": "Not Found"}, {})
        if method == "GET" and (m := re.fullmatch(r"/git/commits/([0-9a-f]+)", rest)):
            commit = repo.commits.get(m.group(1))
            if commit is None:
                return 404, {"message": "Not Found"}, {}
            return 200, {"sha": m.group(1), "tree": {"sha": commit["tree"]}, "message": commit["message"],
                         "parents": [{"sha": p} for p in commit["parents"]]}, {}
        if method == "GET" and (m := re.fullmatch(r"/git/trees/([0-9a-f]+)", rest)):
            tree = repo.trees.get(m.group(1))
            if tree is None:
                return 404, {"message": "Not Found"}, {}
            return 200, {"sha": m.group(1), "tree": [{"path": p, "type": "blob", "sha": s, "mode": "100644"}
                                                     for p, s in sorted(tree.items())], "truncated": False}, {}
        if method == "GET" and (m := re.fullmatch(r"/git/blobs/([0-9a-f]+)", rest)):
            data = repo.blobs.get(m.group(1))
            if data is None:
                return 404, {"message": "Not Found"}, {}
            return 200, {"sha": m.group(1), "encoding": "base64", "content": base64.b64encode(data).decode()}, {}
        if not repo.refs and rest.startswith("/git/"):
            return 409, {"message": "Git Repository is empty."}, {}
        if method == "POST" and rest == "/git/blobs":
            data = body["content"].encode() if body.get("encoding") == "utf-8" else base64.b64decode(body["content"])
            sha = _sha("blob", data)
            repo.blobs[sha] = data
            return 201, {"sha": sha}, {}
        if method == "POST" and rest == "/git/trees":
            if "base_tree" in body:
                return 422, {"message": "the fake takes whole trees only"}, {}
            entries = {}
            for entry in body["tree"]:
                if entry["sha"] not in repo.blobs:
                    return 422, {"message": f"tree.sha {entry['sha']} is not a valid blob"}, {}
                entries[entry["path"]] = entry["sha"]
            sha = self._tree(repo, entries)
            return 201, {"sha": sha}, {}
        if method == "POST" and rest == "/git/commits":
            if body["tree"] not in repo.trees or any(p not in repo.commits for p in body["parents"]):
                return 422, {"message": "bad tree or parent"}, {}
            made = [body["tree"], body["parents"], body["message"], secrets.token_hex(4)]
            sha = _sha("commit", json.dumps(made).encode())
            repo.commits[sha] = {"tree": body["tree"], "parents": list(body["parents"]), "message": body["message"]}
            return 201, {"sha": sha}, {}
        if method == "PATCH" and (m := re.fullmatch(r"/git/refs/heads/(.+)", rest)):
            branch, new = m.group(1), body["sha"]
            current = repo.refs.get(branch)
            if body.get("force"):
                return 422, {"message": "the fake refuses force-pushes (Observer never force-pushes)"}, {}
            if current is not None and repo.commits[new]["parents"][:1] != [current]:
                return 422, {"message": "Update is not a fast forward"}, {}
            repo.refs[branch] = new
            return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": new}}, {}
        return 404, {"message": "Not Found"}, {}

    def _tree(self, repo: Repo, entries: dict[str, str]) -> str:
        sha = _sha("tree", json.dumps(sorted(entries.items())).encode())
        repo.trees[sha] = dict(entries)
        return sha

    def _commit(self, repo: Repo, files: dict[str, bytes], message: str, parents: list[str]) -> str:
        entries = {}
        for path, data in files.items():
            sha = _sha("blob", data)
            repo.blobs[sha] = data
            entries[path] = sha
        tree = self._tree(repo, entries)
        sha = _sha("commit", json.dumps([tree, parents, message]).encode())
        repo.commits[sha] = {"tree": tree, "parents": parents, "message": message}
        repo.refs[repo.default_branch] = sha
        return sha

    def _repo_json(self, repo: Repo, login: str) -> dict[str, Any]:
        return {"name": repo.name, "full_name": f"{repo.owner}/{repo.name}", "private": repo.private,
                "default_branch": repo.default_branch, "html_url": f"{self.url}/{repo.owner}/{repo.name}",
                "owner": {"login": repo.owner}, "permissions": {"push": login in repo.writers, "pull": True}}
