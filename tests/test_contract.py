"""observer.contract: the generated browser types and docs tables follow it, and its check
catches what breaks it. Every frame the other suites make a socket send (the terminal's
status frames of tests/coding included) is checked against it too (tests/conftest.py)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from coding.models import ExecutionStatus
from monitoring.selectors import current_figures
from monitoring.serializers import FiguresSerializer
from observer import contract, contract_render
from tests.contract_support import Violations

PID, DID = str(uuid.uuid4()), str(uuid.uuid4())


def test_the_committed_typescript_and_docs_are_what_the_contract_generates() -> None:
    assert contract_render.TS_PATH.read_text() == contract_render.typescript(), (
        "frontend/src/api/events.gen.ts is stale: run python -m observer.contract_render"
    )
    text = contract_render.DOCS_PATH.read_text()
    assert contract_render.docs(text) == text, "docs/API.md's tables are stale: run python -m observer.contract_render"


def test_the_check_mode_fails_on_a_stale_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "events.gen.ts"
    stale.write_text(contract_render.typescript().replace('"presence"', '"presents"'))
    monkeypatch.setattr(contract_render, "TS_PATH", stale)
    assert contract_render.main(["--check"]) == 1
    assert contract_render.main([]) == 0
    assert contract_render.main(["--check"]) == 0


@pytest.mark.parametrize(
    ("frame", "socket"),
    [
        ({"type": "presence", "participant_id": PID, "online": True}, "session"),
        ({"type": "run.ended", "participant_id": PID, "run_id": DID, "status": "timeout", "exit_code": None,
          "wall_ms": 5000}, "session"),
        ({"type": "help.claimed", "help_request": {"id": DID}}, "session"),
        ({"type": "snapshot", "participants": [{"id": PID}], "help": []}, "session"),
        ({"type": "error", "code": "throttled", "message": "Slow down.", "retry_after": 1}, "session"),
        ({"type": "readonly", "readonly": False}, "document"),
        ({"type": "phase", "phase": "compiling"}, "terminal"),
    ],
)
def test_a_conforming_frame_passes(frame: dict[str, object], socket: str) -> None:
    assert contract.problems(frame, socket=socket) == []


@pytest.mark.parametrize(
    ("frame", "socket", "problem"),
    [
        ({"type": "presence", "participant_id": PID, "online": "yes"}, "session", "'online' is str, not bool"),
        ({"type": "presence", "participant_id": PID}, "session", "missing 'online'"),
        ({"type": "presence", "participant_id": PID, "online": True, "at": "now"}, "session", "unexpected 'at'"),
        ({"type": "presence", "participant_id": 7, "online": True}, "session", "'participant_id' is int, not str"),
        ({"type": "run.ended", "participant_id": PID, "run_id": DID, "status": "running", "exit_code": None,
          "wall_ms": None}, "session", "'status' is 'running', not one of ok"),
        ({"type": "run.ended", "participant_id": PID, "run_id": DID, "status": "ok", "exit_code": True,
          "wall_ms": None}, "session", "'exit_code' is True"),
        ({"type": "typing", "participant_id": PID, "document_id": DID, "at": "t", "by": "robot"}, "session",
         "'by' is 'robot'"),
        ({"type": "snapshot", "participants": {}, "help": []}, "session", "'participants' is dict, not a list"),
        ({"type": "presence.changed", "participant_id": PID, "online": True}, "session", "not a frame of the session"),
        ({"type": "presence", "participant_id": PID, "online": True}, "terminal", "not a frame of the terminal"),
        ({"event": {"type": "presence"}}, "session", "not an object with a string type"),
        ({"type": "readonly", "readonly": 1}, "document", "'readonly' is int, not bool"),
        ({"type": "error", "code": "x", "message": "y", "retry_after": "1"}, "terminal", "'retry_after' is str"),
    ],
)
def test_it_catches_a_frame_outside_the_contract(frame: dict[str, object], socket: str, problem: str) -> None:
    found = contract.problems(frame, socket=socket)
    assert any(problem in p for p in found), found


def test_the_suites_hook_reports_what_a_socket_sent_wrong() -> None:
    violations = Violations()
    violations.check_text(json.dumps({"type": "presence", "participant_id": PID, "online": True}), socket="session",
                          where="SessionConsumer sent")
    assert violations == []
    violations.check_text('{"type": "pong", "extra": 1}', socket="session", where="SessionConsumer sent")
    violations.check_text('{"type": "readonly"}', socket="exercise", where="ExerciseConsumer sent")
    assert violations == [
        "SessionConsumer sent: pong: unexpected 'extra'",
        "ExerciseConsumer sent: the 'exercise' socket sends JSON but observer.contract defines no frames for it",
    ]


def test_run_statuses_are_the_finished_statuses_of_an_execution() -> None:
    (one_of,) = contract.RunStatus.__metadata__
    not_finished = {ExecutionStatus.QUEUED, ExecutionStatus.RUNNING, ExecutionStatus.REJECTED}
    assert set(one_of.values) == {status.value for status in ExecutionStatus if status not in not_finished}


@pytest.mark.django_db
def test_the_dashboards_figures_are_the_serializers_and_conform() -> None:
    declared = set(contract.DashboardFigures.__annotations__) - {"type"}
    assert declared == set(FiguresSerializer().fields)
    frame = json.loads(json.dumps({"type": "figures", **current_figures()}, default=str))
    assert contract.problems(frame, socket="monitoring") == []



def test_every_socket_the_server_routes_has_its_frames_in_the_contract() -> None:
    from integrations.routing import websocket_urlpatterns as api_key_sockets
    from observer.routing import NoSuchSocket, websocket_urlpatterns

    consumers = [(route, route.callback.consumer_class)  # type: ignore[attr-defined]
                 for route in [*websocket_urlpatterns, *api_key_sockets]]
    routed = {
        "/" + str(route.pattern).replace("<str:", "{").replace(">", "}"): consumer.kind
        for route, consumer in consumers if consumer is not NoSuchSocket
    }
    assert routed == {socket.path: socket.kind for socket in contract.SOCKETS}
