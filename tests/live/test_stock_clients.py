"""Observer speaks the standard protocol on the document socket: two stock Yjs clients
(y-websocket 3.1.0's WebsocketProvider over `ws`, in Node, tokens in the query string)
sync, type, see each other's cursors under the names the server knows, and the REST
API returns the merged text. Observer's own JSON frames go only to clients that ask
for them (the `observer` subprotocol), so nothing else reaches a stock client.

Needs node and the Node packages of tests/bench (installed here by `npm ci` when
missing: the npm registry is reachable wherever the suite runs)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import SERVER
from tests.live.test_shutdown import _free_port, _wait_port

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "tests" / "bench"
FIXTURE = """
import json
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import Role, User
from accounts.tokens import GuestToken
from sessions.models import ClassSession, Document, Participant
teacher = User.objects.create(username="ms-teacher", display_name="Ms Teacher", role=Role.TEACHER)
session = ClassSession.objects.create(teacher=teacher, title="s", language="python", state="live", join_code="STOCK1")
participant = Participant.objects.create(session=session, display_name="Ada", is_guest=True)
document = Document.objects.create(participant=participant, name="main.py", content="")
token = GuestToken.for_participant(participant_id=str(participant.pk), session_id=str(session.pk), display_name="Ada")
print(json.dumps({"document": str(document.pk), "participant": str(participant.pk), "student": str(token),
                  "teacher": str(AccessToken.for_user(teacher))}))
"""


def _node_packages() -> None:
    if not (BENCH / "node_modules" / "y-websocket").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(BENCH)], check=True, timeout=300)


def _files(port: int, participant: str, token: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/participants/{participant}/files/",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return list(json.load(response))


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    """The project's own settings (the live layer's own timing) on a throwaway SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "observer.settings",
                "DJANGO_ENV": "development", "SANDBOX_BACKEND": "fake", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO"})
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    return env


async def test_two_stock_yjs_clients_sync_edit_and_see_each_other(server_env: dict[str, str], tmp_path: Path) -> None:
    await asyncio.to_thread(_node_packages)
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", FIXTURE], cwd=ROOT, env=server_env,
                          check=True, capture_output=True, text=True, timeout=120)
    fixture: dict[str, str] = json.loads(made.stdout.strip().splitlines()[-1])
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([sys.executable, *SERVER, "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=server_env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        await _wait_port(port, server)
        clients = await asyncio.to_thread(
            subprocess.run,
            ["node", str(BENCH / "stock_clients.mjs"), f"ws://127.0.0.1:{port}", fixture["document"],
             fixture["student"], fixture["teacher"]],
            capture_output=True, text=True, timeout=60,
        )
        output = clients.stdout + clients.stderr + (tmp_path / "server.log").read_text(errors="replace")
        assert clients.returncode == 0, output
        result = json.loads(clients.stdout.strip().splitlines()[-1])
        merged = result["text"]
        assert "print('from the student')\n" in merged and "# from the teacher\n" in merged, output
        # Each sees the other's cursor under the name the server knows, not the one claimed.
        assert result["studentSees"] == ["Ms Teacher"], output
        assert result["teacherSees"] == ["Ada"], output
        assert "Unable to compute message" not in output and "Unexpected end of array" not in output
        # The REST API has the merged text once the live layer has written it (about a second).
        for _ in range(100):
            files = await asyncio.to_thread(_files, port, fixture["participant"], fixture["teacher"])
            if files and files[0]["content"] == merged:
                break
            await asyncio.sleep(0.1)
        assert files[0]["content"] == merged, (tmp_path / "server.log").read_text(errors="replace")
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
