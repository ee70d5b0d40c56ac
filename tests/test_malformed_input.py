"""A corpus of malformed input thrown at every REST endpoint (from the URL resolver, so
a new endpoint is covered the day it is added; its body fields come from the OpenAPI
document) and at every kind of socket.

Whatever arrives: a 4xx in the standard error shape (or a success where the input is
merely unusual), never a 500 or a `server_error` frame, nothing stored by a refused
request, and nothing added to the operator's error list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import URLResolver, get_resolver

from accounts.models import Role, User
from accounts.services import token_pair_for
from accounts.tokens import GuestToken
from coding.models import Execution
from exercises.models import SessionExercise
from gitarchive.models import ArchiveJob
from integrations.keys import key_create
from integrations.models import TestSession
from monitoring.models import ErrorEvent
from sessions.models import ClassSession, Document, HelpRequest, Participant
from tests import live_support
from tests.exercises.factories import ExerciseFactory, IoCaseFactory
from tests.live_support import open_socket
from tests.sessions.factories import (
    ClassSessionFactory,
    DocumentFactory,
    GuestParticipantFactory,
    HelpRequestFactory,
    ParticipantFactory,
)

registry, app = live_support.registry, live_support.app  # fixtures

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")
UPLOAD_LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE default (2.5 MiB)


# --- the endpoints -------------------------------------------------------------------------


def _routes(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        else:
            yield route


def api_routes() -> list[str]:
    """Every concrete API route the resolver knows, `<uuid:x>` kept as `{x}`. Regex routes
    (the catch-all 404) are probed by unknown paths below; the schema and its docs page
    are documents about the API, read by the body-field test."""
    routes = []
    for route in _routes(get_resolver()):
        if not route.startswith("api/") or route.startswith("^") or route.startswith(("api/schema", "api/docs")):
            continue
        for converter in ("uuid", "str", "int", "slug", "path"):
            route = route.replace(f"<{converter}:", "{")
        routes.append("/" + route.replace(">", "}"))
    return sorted(set(routes))


def test_the_corpus_knows_every_api_route_and_id() -> None:
    """A new endpoint is covered automatically; a new kind of id needs a real object below."""
    routes = api_routes()
    assert "/api/auth/login" in routes and "/api/sessions/{session_id}/push" in routes
    assert len(routes) >= 35
    for route in routes:
        for part in route.split("{")[1:]:
            assert part.split("}")[0] in IDS, f"{route}: add a real object for {part.split('}')[0]} to IDS"


IDS = ("session_id", "participant_id", "file_id", "document_id", "help_id", "exercise_id", "test_id", "job_id",
       "key_id", "execution_id", "link_id", "test_session_id")


class World:
    """One live session with everything in it, and a client per kind of caller."""

    def __init__(self) -> None:
        # Without passwords: hashing one (argon2) costs more than this whole world.
        self.teacher = User.objects.create(username="teacher", role=Role.TEACHER, display_name="Teacher")
        self.student = User.objects.create(username="student", role=Role.STUDENT, display_name="Student")
        self.admin = User.objects.create(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
        self.session = ClassSessionFactory(teacher=self.teacher)
        self.participant = ParticipantFactory(session=self.session, user=self.student)
        self.guest = GuestParticipantFactory(session=self.session, display_name="Guest")
        self.document = DocumentFactory(participant=self.participant, name="main.py", content="print(1)\n")
        self.help = HelpRequestFactory(session=self.session, participant=self.participant)
        self.exercise = ExerciseFactory(owner=self.teacher)
        self.test = IoCaseFactory(exercise=self.exercise)
        self.job = ArchiveJob.objects.create(kind="session", session=self.session, requested_by=self.teacher,
                                             repo="lesson", state="done")
        self.link = SessionExercise.objects.create(session=self.session, exercise=self.exercise)
        self.key = key_create(owner=self.teacher, actor=self.teacher, name="integration", scopes=["execute", "read"])
        self.execution = Execution.objects.create(participant=self.participant, session=self.session,
                                                  language="python", status="ok", api_key=self.key.key)
        self.test_session = TestSession.objects.create(api_key=self.key.key, candidate_name="Candidate",
                                                       language="python", difficulty="easy")
        self.ids = {
            "session_id": self.session.pk, "participant_id": self.participant.pk, "file_id": self.document.pk,
            "document_id": self.document.pk, "help_id": self.help.pk, "exercise_id": self.exercise.pk,
            "test_id": self.test.pk, "job_id": self.job.pk, "key_id": self.key.key.pk,
            "execution_id": self.execution.pk, "link_id": self.link.pk, "test_session_id": self.test_session.pk,
        }  # fmt: skip
        guest_token = GuestToken.for_participant(
            participant_id=str(self.guest.pk), session_id=str(self.session.pk), display_name="Guest"
        )
        self.tokens = {
            "anonymous": None,
            "teacher": token_pair_for(user=self.teacher)["access"],
            "student": token_pair_for(user=self.student)["access"],
            "guest": str(guest_token),
            "admin": token_pair_for(user=self.admin)["access"],
        }

    def url(self, route: str) -> str:
        return route.format(**{k: str(v) for k, v in self.ids.items()})


def snapshot() -> dict[str, Any]:
    """What a refused request must leave as it was."""
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "username", "display_name", "role")),
        "sessions": list(ClassSession.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "documents": list(Document.objects.order_by("pk").values("pk", "name", "content", "deleted_at")),
        "help": list(HelpRequest.objects.order_by("pk").values()),
    }


def call(
    method: str, path: str, *, token: str | None = None, body: bytes | None = None,
    content_type: str = "application/json", **headers: str,
) -> Any:  # fmt: skip
    client = Client(raise_request_exception=False)
    if token is not None:
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {token}")
    return client.generic(method, path, data=body or b"", content_type=content_type, **headers)


def assert_answered(response: Any, what: str) -> None:
    """A 4xx in the standard shape, or a success; never a 5xx."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, what
        assert body["error"]["code"] != "server_error" and body["error"]["message"], what


@pytest.fixture
def world(transactional_db: None) -> World:
    return World()


@pytest.fixture
def no_new_errors(transactional_db: None) -> Iterator[None]:
    before = ErrorEvent.objects.count()
    yield
    new = list(ErrorEvent.objects.order_by("created_at").values_list("kind", "message", "path")[before:])
    assert not new, f"new entries in the operator's error list: {new}"


# --- the corpus ----------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


BODIES: dict[str, bytes] = {
    "not utf-8": b'{"name": "\xff\xfe", "code": "\xe9"}',
    "latin-1 json": '{"display_name": "Zoë"}'.encode("latin-1"),
    "truncated json": b'{"name": ',
    "not json": b"name=main.py&content=1",
    "nested 1000 deep": _nested(1000),
    "nested 100 deep": _nested(100),
    "objects nested 1000 deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "nested 1000 deep inside a field": b'{"name": ' + _nested(1000) + b', "refresh": ' + _nested(1000) + b"}",
    "lone surrogate": b'{"name": "\\ud800", "title": "\\udfff", "refresh": "\\ud800", "code": "\\ud800"}',
    "lone surrogate key": b'{"\\ud800": 1}',
    "nan": b'{"max_participants": NaN, "line": Infinity}',
    "huge number": b'{"max_participants": 1' + b"0" * 5000 + b', "line": 1e999}',
    "top-level list": b"[]",
    "top-level string": b'"x"',
    "top-level number": b"1",
    "top-level null": b"null",
    "empty": b"",
    "bom": b'\xef\xbb\xbf{"code": "ABC123"}',
    "nul bytes": b'{"name": "a\\u0000.py", "title": "t\\u0000", "message": "\\u0000", "code": "\\u0000"}',
}
WRONG_VALUES: dict[str, Any] = {
    "number": 123,
    "float": 1.5,
    "bool": True,
    "null": None,
    "list": ["x"],
    "object": {"x": 1},
    "long string": "x" * 100_000,
    "control chars": "\x1b[31m\x07\x00",
    "bidi": "\u202eevil",
    "negative": -1,
    "huge int": 10**30,
}
HEADERS: dict[str, dict[str, str]] = {
    "non-utf-8 bearer": {"HTTP_AUTHORIZATION": "Bearer \xe9.\xe9.\xe9"},
    "latin-1 bearer": {"HTTP_AUTHORIZATION": "Bearer \xff\xfe"},
    "empty bearer": {"HTTP_AUTHORIZATION": "Bearer"},
    "bearer with spaces": {"HTTP_AUTHORIZATION": "Bearer a b c"},
    "basic auth": {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
    "alg none": {"HTTP_AUTHORIZATION": "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ."},
    "long bearer": {"HTTP_AUTHORIZATION": "Bearer " + "a" * 8000},
    "nul in bearer": {"HTTP_AUTHORIZATION": "Bearer a\x00b"},
    "odd accept": {"HTTP_ACCEPT": "text/html;q=\xff, */*"},
    "odd forwarded for": {"HTTP_X_FORWARDED_FOR": "\xff, not-an-ip, ::::1"},
    "bad content length": {"CONTENT_LENGTH": "-1"},
}
QUERIES = [
    "page=abc", "page=-1", "page=0", "page=99999999999999999999", "page_size=0", "page_size=abc",
    "state=%00", "state=%ff%fe", "since=yesterday", "until=%00", "at=not-a-time", "after_seq=NaN",
    "limit=1e309", "texts=%ff", "period=%00", "action=%00", "source=%ff", "session=not-a-uuid",
    "user=%00", "participant=123", "language=%ff", "status=" + "x" * 5000, "a=1&a=2&a=3",
]  # fmt: skip
CONTENT_TYPES = [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "multipart/form-data", "application/json; charset=latin-1", "application/json; charset=nonsense",
]  # fmt: skip


def _view_methods(route: str) -> list[str]:
    from django.urls import resolve

    match = resolve(_sample_path(route))
    view = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    if view is None:
        return list(METHODS)
    return [m for m in METHODS if hasattr(view, m.lower())]


def _sample_path(route: str) -> str:
    parts = route.split("{")
    return parts[0] + "".join("00000000-0000-0000-0000-000000000000" + p.split("}", 1)[1] for p in parts[1:])


def _operations() -> list[tuple[str, str]]:
    """Each route with each method its view answers, and one it does not (405)."""
    operations = []
    for route in api_routes():
        allowed = _view_methods(route)
        operations += [(method, route) for method in allowed]
        operations += [(method, route) for method in METHODS if method not in allowed][:1]
    return operations


def body_fields() -> list[tuple[str, str, str]]:
    """(method, route, field) of every JSON body field the OpenAPI document declares."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    fields = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            ref = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            properties = components.get(ref.get("$ref", "").rsplit("/", 1)[-1], {}).get("properties", {})
            fields += [(method.upper(), path, field) for field in properties]
    return fields


@pytest.mark.parametrize("method,route", _operations())
def test_every_endpoint_answers_malformed_input_with_a_4xx(
    world: World, no_new_errors: None, method: str, route: str
) -> None:
    url = world.url(route)
    for name, headers in HEADERS.items():
        assert_answered(call(method, url, body=b"{}", **headers), f"{method} {url} header {name}")
    if method == "GET":
        for who in ("teacher", "guest"):
            for query in QUERIES:
                response = call(method, f"{url}?{query}", token=world.tokens[who])
                assert_answered(response, f"{method} {url}?{query} ({who})")
    if method not in BODY_METHODS:
        return
    open_to_anyone = call(method, url, body=b"{}").status_code != 401
    for who in ("anonymous", "teacher", "student") if open_to_anyone else ("teacher", "student"):
        before = snapshot()
        for name, body in BODIES.items():
            response = call(method, url, token=world.tokens[who], body=body)
            assert_answered(response, f"{method} {url} body {name} ({who})")
            after = snapshot()
            if response.status_code >= 400:
                assert after == before, f"{method} {url} body {name} ({who}) was refused but stored something"
            before = after  # unusual but acceptable input may change things: the next baseline
    for content_type in CONTENT_TYPES:
        response = call(method, url, token=world.tokens["teacher"], body=b"\xff\x00--x\r\n", content_type=content_type)
        assert_answered(response, f"{method} {url} as {content_type}")


def test_the_corpus_sees_the_body_fields_of_the_api() -> None:
    fields = body_fields()
    assert ("POST", "/api/auth/register", "display_name") in fields
    assert ("PATCH", "/api/participants/{participant_id}/files/{file_id}/", "content") in fields


@pytest.mark.parametrize("method,route,field", body_fields())
def test_every_body_field_refuses_wrong_types_without_a_500(
    world: World, no_new_errors: None, method: str, route: str, field: str
) -> None:
    url = world.url(route)
    for who in ("teacher", "student"):
        for name, value in WRONG_VALUES.items():
            body = json.dumps({"name": "ok.py", "code": world.session.join_code, field: value}).encode()
            response = call(method, url, token=world.tokens[who], body=body)
            assert_answered(response, f"{method} {url} {field}={name} ({who})")


PAGES = ["/health", "/metrics", "/admin/login/", "/", "/join/ABC123", "/static/nothing.js"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_outside_the_api_answer_odd_headers_without_a_500(
    world: World, no_new_errors: None, settings: Any, path: str
) -> None:
    settings.MONITORING_METRICS_TOKEN = "scrape-me"  # so /metrics compares what it is sent
    for name, headers in HEADERS.items():
        for method in ("GET", "POST"):
            response = call(method, path, body=b"{}", **headers)
            assert response.status_code < 500, f"{method} {path} header {name}: {response.status_code}"


ODD_PATHS = [
    "/api/auth/join", "/api/sessions/not-a-uuid/", "/api/%ff%fe/", "/api/\u202e/", "/api/sessions/" + "a" * 5000,
    "/api/participants/00000000-0000-0000-0000-000000000000/",
]  # fmt: skip


@pytest.mark.parametrize("path", ODD_PATHS)
def test_unknown_and_odd_paths_answer_404_in_the_standard_shape(world: World, no_new_errors: None, path: str) -> None:
    for method in METHODS:
        response = call(method, path, token=world.tokens["teacher"], body=b"{}")
        assert_answered(response, f"{method} {path}")
        assert response.status_code in (404, 405), (method, path, response.status_code)


# --- the reproductions of issue 12 ---------------------------------------------------------


@pytest.mark.parametrize("method,path", [("GET", "/api/auth/me"), ("POST", "/api/join")])
def test_non_utf8_bytes_after_bearer_are_a_401(world: World, no_new_errors: None, method: str, path: str) -> None:
    response = call(method, path, body=b'{"code": "x"}', HTTP_AUTHORIZATION="Bearer \xe9.\xe9.\xe9")
    assert response.status_code == 401, response.content
    assert json.loads(response.content)["error"]["code"] in ("token_not_valid", "not_authenticated")


OVERSIZE_TARGETS = [
    ("POST", "/api/join"), ("POST", "/api/auth/login"), ("POST", "/api/auth/register"), ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"), ("POST", "/api/participants/{participant_id}/files/"),
    ("PATCH", "/api/participants/{participant_id}/files/{file_id}/"),
]  # fmt: skip


@pytest.mark.parametrize("method,route", OVERSIZE_TARGETS)
def test_a_body_over_the_upload_limit_is_a_413(world: World, no_new_errors: None, method: str, route: str) -> None:
    body = json.dumps({"name": "big.py", "code": "x", "content": "x" * (UPLOAD_LIMIT + 1)}).encode()
    before = snapshot()
    response = call(method, world.url(route), token=world.tokens["student"], body=body)
    assert response.status_code == 413, response.content[:300]
    assert json.loads(response.content)["error"]["code"] == "request_too_large"
    assert snapshot() == before


@pytest.mark.parametrize("path", ["/api/auth/logout", "/api/auth/login", "/api/auth/register", "/api/auth/refresh",
                                  "/api/join"])  # fmt: skip
@pytest.mark.parametrize("depth", [70, 900, 1000, 100_000])
def test_deeply_nested_json_is_a_parse_error(world: World, no_new_errors: None, path: str, depth: int) -> None:
    response = call("POST", path, body=_nested(depth))
    assert response.status_code == 400, response.content[:300]
    assert json.loads(response.content)["error"]["code"] == "parse_error"


# --- sockets ---------------------------------------------------------------------------------

SOCKET_FRAMES: dict[str, dict[str, Any]] = {
    "not json": {"text": "hello"},
    "empty text": {"text": ""},
    "nested 1000 deep": {"text": "[" * 1000 + "]" * 1000},
    "objects nested 600 deep": {"text": '{"a":' * 600 + "1" + "}" * 600},
    "nested inside a frame": {"text": '{"type": "run", "files": ' + "[" * 1000 + "]" * 1000 + "}"},
    "lone surrogate": {"text": '{"type": "run", "entry": "\\ud800"}'},
    "surrogate type": {"text": '{"type": "\\ud800"}'},
    "list": {"text": "[]"},
    "number": {"text": "1"},
    "no type": {"text": "{}"},
    "number type": {"text": '{"type": 5}'},
    "unknown type": {"text": '{"type": "nonsense"}'},
    "nan": {"text": '{"type": "resize", "rows": NaN, "cols": Infinity}'},
    "run with wrong types": {"text": '{"type": "run", "entry": 5, "files": "x", "rows": "a", "cols": 1e309}'},
    "run with wrong list items": {"text": '{"type": "run", "files": [1, null, {}], "entry": ["main.py"]}'},
    "run with bool size": {"text": '{"type": "run", "rows": true, "cols": false}'},
    "resize negative": {"text": '{"type": "resize", "rows": -1, "cols": 0}'},
    "resize huge": {"text": '{"type": "resize", "rows": 1e300, "cols": 99999999999999999999}'},
    "ping with junk": {"text": '{"type": "ping", "x": [[[[]]]]}'},
    "empty binary": {"bytes": b""},
    "garbage binary": {"bytes": b"\xff\xfe\xfd\x00\x01"},
    "varint overflow": {"bytes": b"\x00" + b"\xff" * 20},
    "sync step 2 garbage": {"bytes": b"\x00\x01\x05hello"},
    "update garbage": {"bytes": b"\x00\x02\x03abc"},
    "awareness not json": {"bytes": b"\x01" + bytes([10, 1, 1, 1, 3]) + b"abc"},
    "awareness nested": {"bytes": None},  # built below (needs the length prefix)
    "awareness surrogate": {"bytes": None},
}
SOCKET_KINDS = ["document", "terminal", "session", "monitoring", "assist", "unknown"]


def _awareness(state: bytes) -> bytes:
    from sessions.live.protocol import write_var_uint

    update = write_var_uint(1) + write_var_uint(7) + write_var_uint(1) + write_var_uint(len(state)) + state
    return b"\x01" + write_var_uint(len(update)) + update


def _frames() -> dict[str, dict[str, Any]]:
    frames = dict(SOCKET_FRAMES)
    frames["awareness nested"] = {"bytes": _awareness(b'{"user": ' + b"[" * 1000 + b"]" * 1000 + b"}")}
    frames["awareness surrogate"] = {"bytes": _awareness(b'{"user": {"name": "\\ud800"}}')}
    return frames


def test_the_corpus_knows_every_socket_route() -> None:
    """A new kind of socket needs a path in _socket_path (and so gets the corpus)."""
    from observer.routing import websocket_urlpatterns

    routes = {str(route.pattern) for route in websocket_urlpatterns}
    assert routes == {"ws/documents/<str:document_id>/", "ws/sessions/<str:session_id>/",
                      "ws/terminal/<str:participant_id>/", "ws/monitoring/", "ws/assist/<str:participant_id>/",
                      ""}, routes  # fmt: skip


@pytest.fixture
def socket_world(transactional_db: None) -> World:
    return World()


def _socket_path(kind: str, world: World) -> str:
    return {
        "document": f"/ws/documents/{world.document.pk}/",
        "terminal": f"/ws/terminal/{world.participant.pk}/",
        "session": f"/ws/sessions/{world.session.pk}/",
        "monitoring": "/ws/monitoring/",
        "assist": f"/ws/assist/{world.participant.pk}/",
        "unknown": "/ws/nonexistent/",
    }[kind]


@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_every_socket_kind_answers_malformed_frames_without_a_server_error(
    socket_world: World, app: Any, kind: str, settings: Any
) -> None:
    settings.SANDBOX_BACKEND = "fake"
    errors_before = await database_sync_to_async(ErrorEvent.objects.count)()
    who = socket_world.admin if kind == "monitoring" else socket_world.student
    socket = await open_socket(app, _socket_path(kind, socket_world), who)
    try:
        if kind == "unknown":
            closed = await socket.receive_output(timeout=5)
            assert closed == {"type": "websocket.close", "code": 4404}
            return
        await _drain(socket)
        for name, frame in _frames().items():
            await socket.send_input({"type": "websocket.receive", **frame})
            answers = await _drain(socket)
            for answer in answers:
                assert answer["type"] != "websocket.close", f"{kind} closed on {name}: {answer}"
                if isinstance(answer.get("text"), str):
                    message = json.loads(answer["text"])
                    assert message.get("code") != "server_error", f"{kind} {name}: {message}"
            if kind == "document" and "text" in frame:
                assert _codes(answers) == {"unsupported"}, f"{kind} {name}: {answers}"
            if kind in ("terminal", "session") and name in ("nested 1000 deep", "objects nested 600 deep",
                                                              "lone surrogate", "not json"):  # fmt: skip
                assert _codes(answers) == {"invalid"}, f"{kind} {name}: {answers}"
    finally:
        await socket.disconnect()
    assert await database_sync_to_async(ErrorEvent.objects.count)() == errors_before


def _codes(answers: list[dict[str, Any]]) -> set[str]:
    return {
        json.loads(a["text"]).get("code")
        for a in answers
        if isinstance(a.get("text"), str) and json.loads(a["text"]).get("type") == "error"
    }


async def _drain(socket: Any, quiet: float = 0.15) -> list[dict[str, Any]]:
    answers = []
    while not await socket.receive_nothing(timeout=quiet):
        answers.append(await socket.receive_output(timeout=1))
    return answers


@pytest.mark.parametrize(
    "path", ["/ws/nonexistent/", "/ws/terminal/a/b/", "/ws/documents/not-a-uuid/", "/ws/sessions/%ff/",
             "/ws/documents/" + "a" * 3000 + "/", "/ws/", "/ws/monitoring/extra/", "/nothing"],
)  # fmt: skip
async def test_an_unknown_socket_path_is_closed_with_4404_after_the_handshake(
    socket_world: World, app: Any, path: str
) -> None:
    from channels.testing import WebsocketCommunicator

    token = socket_world.tokens["teacher"]
    socket = WebsocketCommunicator(app, path, headers=[(b"origin", b"http://testserver")],
                                   subprotocols=["observer", f"bearer.{token}"])  # fmt: skip
    connected, _ = await socket.connect(timeout=5)
    assert connected
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    assert await database_sync_to_async(ErrorEvent.objects.count)() == 0


@pytest.mark.parametrize(
    "subprotocols,query",
    [(["observer", "bearer.\xff\xfe"], ""), (["bearer."], ""), (["observer"], "token=%ff%fe"),
     (["observer"], "token=" + "a" * 20000), (["bearer.a.b.c"], "token=\x00"), ([], "token=")],
)  # fmt: skip
async def test_an_odd_token_offer_is_refused_with_1008(
    socket_world: World, app: Any, subprotocols: list[str], query: str
) -> None:
    from channels.testing import WebsocketCommunicator

    socket = WebsocketCommunicator(app, f"/ws/sessions/{socket_world.session.pk}/?{query}",
                                   headers=[(b"origin", b"http://testserver")], subprotocols=subprotocols)  # fmt: skip
    connected, code = await socket.connect(timeout=5)
    assert not connected and code == 1008
    assert await database_sync_to_async(ErrorEvent.objects.count)() == 0

