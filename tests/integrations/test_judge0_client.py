"""The official Judge0 Python SDK (judge0 on PyPI) against a live Observer: the server
(observer.server) on a free port, a fresh SQLite file, the real bubblewrap sandbox. The client only changes
its base URL and sends the key in Judge0's X-Auth-Token: run, wait, batch, base64 (the
SDK always encodes), every status it can reach, and a callback."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import judge0
import pytest

from tests.e2e.server import ROOT, _wait_until_up, free_port


class Server:
    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="observer-judge0-"))
        self.env = {**os.environ, "DATABASE_URL": f"sqlite:///{self.workdir / 'db.sqlite3'}",
                    "DJANGO_ENV": "development", "DJANGO_DEBUG": "false",
                    "OBSERVER_ENV_FILE": str(self.workdir / "no.env"), "SANDBOX_BACKEND": "bubblewrap",
                    "RUNS_PER_WINDOW": "200", "PYTHONUNBUFFERED": "1",
                    # the receiver of the callback test listens on loopback
                    "WEBHOOK_ALLOW_PRIVATE": "true"}
        self.env.pop("REDIS_URL", None)
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("shell", "-c", "from tests.factories import TeacherFactory; TeacherFactory(username='owner')")
        self.secret = self.manage("create_api_key", "owner", "--executions-rate", "500/m",
                                  "--requests-rate", "5000/15m").strip()
        port = free_port()
        self.log = self.workdir / "server.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "observer.server", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=self.env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{self.url}/login", self.process, self.log)

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)



@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    live = Server()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def client(server: Server) -> judge0.Client:
    return judge0.Client(endpoint=f"{server.url}/judge0", headers={"X-Auth-Token": server.secret})


def test_the_client_connects_and_reads_the_reference(client: judge0.Client) -> None:
    assert {lang.id for lang in client.languages} == {50, 54, 62, 63, 71, 74}
    assert client.config.enable_network is False
    assert client.version == "1.13.1"
    assert client.get_language(71).name.startswith("Python (3.")
    assert len(client.get_statuses()) == 14


def test_run_and_wait_with_stdin_and_expected_output(client: judge0.Client) -> None:
    result = judge0.run(client=client, source_code="print(input().upper())", language=judge0.PYTHON,
                        stdin="shout", expected_output="SHOUT")
    assert result.status == judge0.Status.ACCEPTED and result.stdout == "SHOUT\n"
    assert result.time is not None and result.memory is not None
    wrong = judge0.run(client=client, source_code="print(1)", language=judge0.PYTHON, expected_output="2")
    assert wrong.status == judge0.Status.WRONG_ANSWER


@pytest.mark.parametrize(("language", "source", "extra", "status"), [
    (judge0.C, "int main(void) { return ; }\nint x = ;", {}, judge0.Status.COMPILATION_ERROR),
    (judge0.C, "int main(void) { int *p = 0; return *p; }", {}, judge0.Status.RUNTIME_ERROR_SIGSEGV),
    (judge0.C, "#include <stdlib.h>\nint main(void) { abort(); }", {}, judge0.Status.RUNTIME_ERROR_SIGABRT),
    (judge0.C, "#include <signal.h>\nint main(void) { raise(SIGFPE); return 0; }", {},
     judge0.Status.RUNTIME_ERROR_SIGFPE),
    (judge0.PYTHON, "raise SystemExit(3)", {}, judge0.Status.RUNTIME_ERROR_NZEC),
    (judge0.PYTHON, "while True: pass", {"cpu_time_limit": 1, "wall_time_limit": 3},
     judge0.Status.TIME_LIMIT_EXCEEDED),
    (judge0.JAVASCRIPT, "console.log(6 * 7)", {}, judge0.Status.ACCEPTED),
])
def test_each_status_through_the_client(client: judge0.Client, language: Any, source: str, extra: dict[str, Any],
                                        status: judge0.Status) -> None:
    result = judge0.run(client=client, source_code=source, language=language, **extra)
    assert result.status == status, (result.status, result.stderr, result.compile_output, result.message)
    if status == judge0.Status.COMPILATION_ERROR:
        assert "error" in (result.compile_output or "")


@pytest.mark.parametrize(("language", "source"), [
    (judge0.PYTHON, "import sys\nprint(sys.argv[1:])"),
    (judge0.C, '#include <stdio.h>\nint main(int n, char **v) { for (int i = 1; i < n; i++) printf("%s|", v[i]); }'),
    (judge0.JAVA, "public class Main { public static void main(String[] a) {"
                  " System.out.print(String.join(\"|\", a)); } }"),
])
def test_command_line_arguments_through_the_client(client: judge0.Client, language: Any, source: str) -> None:
    assert client.config.enable_command_line_arguments is True
    result = judge0.run(client=client, source_code=source, language=language,
                        command_line_arguments="""one 'two words' "$HOME" ';'""")
    assert result.status == judge0.Status.ACCEPTED, (result.stderr, result.compile_output)
    expected = "['one', 'two words', '$HOME', ';']\n" if language == judge0.PYTHON else (
        "one|two words|$HOME|;|" if language == judge0.C else "one|two words|$HOME|;")
    assert result.stdout == expected


def test_a_batch_through_the_client(client: judge0.Client) -> None:
    submissions = [judge0.Submission(source_code=f"print({n} * 2)", language=judge0.PYTHON) for n in range(4)]
    results = judge0.run(client=client, submissions=submissions)
    assert [r.stdout for r in results] == ["0\n", "2\n", "4\n", "6\n"]
    assert all(r.status == judge0.Status.ACCEPTED for r in results)


def test_a_callback_reaches_the_receiver(client: judge0.Client, server: Server) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    done = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()
            done.set()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/done"
        result = judge0.run(client=client, source_code='print("called back")', language=judge0.PYTHON,
                            callback_url=url)
        assert done.wait(20), server.log.read_text()[-2000:]
    finally:
        receiver.shutdown()
        receiver.server_close()
    headers, body = received[0]
    sent = json.loads(body)
    assert sent["token"] == str(result.token) and sent["status"]["id"] == 3
    assert headers["X-Observer-Signature"].startswith("sha256=")


def test_wait_true_answers_the_result_from_the_live_server(server: Server) -> None:
    """What the SDK does not use (it polls): Judge0's wait=true, on the real server's loop."""
    import httpx

    answer = httpx.post(f"{server.url}/judge0/submissions?wait=true", timeout=60,
                        headers={"X-Auth-Token": server.secret},
                        json={"source_code": "print(sum(range(10)))", "language_id": 71})
    assert answer.status_code == 201 and answer.json()["stdout"] == "45\n"
    assert answer.json()["status"] == {"id": 3, "description": "Accepted"}
    assert int(answer.headers["X-RateLimit-Remaining"]) < int(answer.headers["X-RateLimit-Limit"])
