"""Benchmark of the run path: a class presses Run at once, through the real product.

An Observer server (observer.server, started here, loopback only) on PostgreSQL + Redis with the real
bubblewrap sandbox. Over the REST API a teacher registers, logs in, creates and starts a
session whose starter file is `print("hi")` (Python; each other language's hello
world), and N guests join; each guest opens their terminal socket
(`/ws/terminal/{participant}/`) and all N send `{"type": "run"}` at once.

Printed per class size N: per student, the time from sending `run` to the first output
frame and to the `exit` frame (median, p95, max); runs per second (N over the time from
the first `run` sent to the last `exit`); the fairness of the order (finishing order
against asking order: the mean displacement, in places); server CPU per run; frames per
student (queue positions included); this client's CPU (it shares the machine). Beside
it, measured in the same run: the sandbox's own throughput, the same N hello worlds
through `coding.runner.start_interactive` directly (what the server calls, PTY
included) with as many at once as the server allows (RUN_LIMITS["max_concurrent"]),
and the ratio. Before the classes, one student
alone, interleaved with the runner alone: the server's overhead over the sandbox's own
latency (median to exit, each side).

Defaults: Python for N = 30, 100, 200, Java for N = 30, 10 alone runs (a third of them
for languages other than Python). The run-rate limits would refuse the benchmark's runs
(RUNS_PER_WINDOW per student, RUN_QUEUE_MAX, the joins' per-IP ceiling), so the server
runs with them raised; the output says so. The concurrency cap stays the server's default
unless --max-concurrent is given. Bounded: every class has --timeout seconds.

    .venv/bin/python tests/bench/bench_runs.py
    .venv/bin/python tests/bench/bench_runs.py --quick            # Python, 10 students; Java, 5
    .venv/bin/python tests/bench/bench_runs.py --students 30 --languages python --alone-runs 20

Needs: PostgreSQL at --database (the database must not exist: it is created, and dropped
at the end) and an empty Redis database at --redis (emptied at the end), bubblewrap, and
the dev requirements (websockets, uvloop, psutil). Not a test: the numbers depend on
the machine and its load, which is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.e2e.server import SERVER  # noqa: E402  (the server as every launcher starts it)

PYTHON_SOURCE = 'print("hi")\n'
PRIORITY: list[str] = []  # ["nice", "-n", "-10"] with --priority
ORIGIN = "http://127.0.0.1"


# --- the server, its database and its Redis -------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def limits_env(max_n: int, max_concurrent: int | None) -> dict[str, str]:
    """What keeps every limit but the concurrency cap out of the benchmark's way."""
    env = {
        "RUNS_PER_WINDOW": "1000000",  # default 10 per student per minute: the rounds run each student again
        "RUN_QUEUE_MAX": str(max(500, 2 * max_n)),  # default 500 waiting runs
        "RATELIMIT_JOIN_ANY_IP": "100000/m",  # default 600 joins per minute from one address
    }
    if max_concurrent:
        env["RUNS_MAX_CONCURRENT"] = str(max_concurrent)
    return env


def server_env(args: argparse.Namespace, workdir: Path, max_n: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    tag = f"benchruns{os.getpid()}"
    env.update({
        "DATABASE_URL": args.database, "REDIS_URL": args.redis,
        "DJANGO_ENV": "development", "DJANGO_DEBUG": "false", "LOG_LEVEL": "WARNING",
        "CHANNEL_PREFIX": tag, "CACHE_PREFIX": tag, "SANDBOX_BACKEND": "bubblewrap",
        "TEACHER_INVITE_CODE": secrets.token_urlsafe(16), "PYTHONPATH": str(ROOT),
        **limits_env(max_n, args.max_concurrent),
    })
    return env


def database_create(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(f"database {name!r} exists: the benchmark makes its own and drops it at the end; "
                             "drop it (dropdb) or name another with --database")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _maintenance_url(url: str) -> str:
    return urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()


def redis_claim(url: str) -> Any:
    import redis

    client = redis.Redis.from_url(url)
    if client.dbsize():
        raise SystemExit(f"Redis database {url} is not empty: the benchmark empties its database at the end, "
                         "so give it one of its own with --redis")
    return client


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*PRIORITY, sys.executable, *SERVER, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped at start (exit {process.returncode}); see its log")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /health within {timeout:.0f} s")


# --- the class, through the REST API ---------------------------------------------------------


def api(base: str, method: str, path: str, body: dict[str, Any] | None = None, token: str = "") -> Any:
    request = urllib.request.Request(f"{base}{path}", method=method, data=json.dumps(body or {}).encode(),
                                     headers={"Content-Type": "application/json", "Origin": ORIGIN})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{method} {path}: HTTP {error.code} {error.read()[:500]!r}") from None


@dataclass
class Student:
    participant_id: str
    token: str


def teacher_token(base: str, invite_code: str) -> str:
    username, password = f"bench-teacher-{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    api(base, "POST", "/api/auth/register",
        {"username": username, "password": password, "role": "teacher", "invite_code": invite_code})
    return str(api(base, "POST", "/api/auth/login", {"username": username, "password": password})["access"])


def open_class(base: str, teacher: str, language: str, source: str, n: int) -> list[Student]:
    from coding.languages import LANGUAGES

    session = api(base, "POST", "/api/sessions/", {
        "title": f"bench {language}", "language": language, "max_participants": max(n, 1),
        "starter_files": [{"name": LANGUAGES[language].entry_name, "content": source}],
    }, teacher)
    code = api(base, "POST", f"/api/sessions/{session['id']}/start", token=teacher)["join_code"]

    def join(i: int) -> Student:
        joined = api(base, "POST", "/api/join", {"code": code, "display_name": f"student {i}"})
        return Student(joined["participant"]["id"], joined["token"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(join, range(n)))


# --- a student's terminal ---------------------------------------------------------------------


@dataclass(eq=False)
class Terminal:
    student: Student
    ws: Any = None
    asked_at: float = 0.0
    first_output_at: float | None = None
    exit_at: float | None = None
    exit: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    output: bytearray = field(default_factory=bytearray)
    frames: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    async def connect(self, ws_base: str) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"{ws_base}/ws/terminal/{self.student.participant_id}/", origin=ORIGIN, compression=None,
            max_size=None, subprotocols=["observer", f"bearer.{self.student.token}"],
        )
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            now = time.perf_counter()
            self.frames += 1
            if isinstance(raw, bytes):
                if self.first_output_at is None:
                    self.first_output_at = now
                self.output += raw
                continue
            frame = json.loads(raw)
            if frame.get("type") == "exit":
                self.exit_at, self.exit = now, frame
                self.done.set()
            elif frame.get("type") == "error":
                self.error = frame
                self.done.set()

    async def press_run(self) -> None:
        self.first_output_at = self.exit_at = self.exit = self.error = None
        self.output.clear()
        self.frames = 0
        self.done.clear()
        self.asked_at = time.perf_counter()
        await self.ws.send(json.dumps({"type": "run"}))

    def ok(self, expected: bytes) -> bool:
        return bool(self.exit and self.exit.get("status") == "ok" and expected in self.output)

    def problem(self) -> str:
        if self.error:
            return f"error {self.error.get('code')}: {self.error.get('message')}"
        if self.exit:
            return f"exit {self.exit.get('status')}: {self.exit.get('message')!r}, output {bytes(self.output)[:80]!r}"
        return "no exit frame in time"

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


async def connect_all(ws_base: str, students: list[Student]) -> list[Terminal]:
    terminals = [Terminal(s) for s in students]
    for i in range(0, len(terminals), 25):
        await asyncio.gather(*(t.connect(ws_base) for t in terminals[i : i + 25]))
    await asyncio.sleep(1)  # the server subscribes each socket to its terminal after accepting it
    return terminals


# --- the sandbox alone: the runner the server calls, in this process -----------------------------


async def sandbox_run(language: str, source: str, expected: bytes) -> tuple[float, float]:
    """One run through coding.runner as the terminal starts it: (first output, exit) in seconds."""
    from coding import runner
    from coding.languages import LANGUAGES

    started = time.perf_counter()
    run = await runner.start_interactive(language=language, files=[(LANGUAGES[language].entry_name, source)])
    first, output = None, bytearray()
    async for chunk in run.output():
        first = first or time.perf_counter()
        output += chunk
    result = await run.wait()
    ended = time.perf_counter()
    if result.status != "ok" or expected not in output:
        raise RuntimeError(f"the sandbox alone failed: {result.status} {result.message[-300:]}")
    return (first or ended) - started, ended - started


async def sandbox_throughput(language: str, source: str, expected: bytes, n: int, at_once: int) -> tuple[float, float]:
    """n runs, at_once at a time: (runs per second, seconds to the last exit)."""
    left = list(range(n))

    async def worker() -> None:
        while left:
            left.pop()
            await sandbox_run(language, source, expected)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(at_once, n))))
    elapsed = time.perf_counter() - started
    return n / elapsed, elapsed


# --- the measurements ----------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[-(-len(ordered) * 95 // 100) - 1]  # nearest rank


def mean_displacement(terminals: list[Terminal]) -> float:
    """Asking order (the order `run` was sent) against finishing order (`exit` received),
    among the students who finished: the mean of |asked place - finished place|."""
    finished = [t for t in terminals if t.exit_at is not None]
    if not finished:
        return float("nan")
    asked = sorted(finished, key=lambda t: t.asked_at)
    place = {id(t): i for i, t in enumerate(sorted(finished, key=lambda t: t.exit_at or 0.0))}
    return statistics.fmean(abs(i - place[id(t)]) for i, t in enumerate(asked))


def cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def alone(terminal: Terminal, language: str, source: str, expected: bytes, runs: int,
                timeout: float) -> dict[str, Any]:
    """One student, then the runner directly, in turn, `runs` times each."""
    server: list[tuple[float, float]] = []
    direct: list[tuple[float, float]] = []
    for _ in range(runs):
        await terminal.press_run()
        await asyncio.wait_for(terminal.done.wait(), timeout)
        if not terminal.ok(expected) or terminal.first_output_at is None or terminal.exit_at is None:
            raise RuntimeError(f"a lone student's run failed: {terminal.problem()}")
        server.append((terminal.first_output_at - terminal.asked_at, terminal.exit_at - terminal.asked_at))
        direct.append(await sandbox_run(language, source, expected))
    return {
        "language": language, "runs": runs,
        "server_first": statistics.median(f for f, _ in server) * 1000,
        "server_exit": statistics.median(e for _, e in server) * 1000,
        "server_max": max(e for _, e in server) * 1000,
        "sandbox_first": statistics.median(f for f, _ in direct) * 1000,
        "sandbox_exit": statistics.median(e for _, e in direct) * 1000,
        "sandbox_max": max(e for _, e in direct) * 1000,
        "load": os.getloadavg()[0],
    }


async def press_together(ws_base: str, students: list[Student], language: str, source: str, expected: bytes,
                         server_pid: int, at_once: int, timeout: float) -> dict[str, Any]:
    import psutil

    terminals = await connect_all(ws_base, students)
    client = psutil.Process()
    try:
        cpu0, client0 = cpu_seconds(server_pid), client.cpu_times()
        for terminal in terminals:  # the asking order is this order
            await terminal.press_run()
        try:
            await asyncio.wait_for(asyncio.gather(*(t.done.wait() for t in terminals)), timeout)
        except TimeoutError:
            pass
        cpu1, client1 = cpu_seconds(server_pid), client.cpu_times()
    finally:
        await asyncio.gather(*(t.close() for t in terminals))
    n = len(terminals)
    first_ask = min(t.asked_at for t in terminals)
    good = [t for t in terminals if t.ok(expected) and t.first_output_at is not None and t.exit_at is not None]
    failed = [t for t in terminals if t not in good]
    for t in failed[:3]:
        print(f"  a student's run did not succeed: {t.problem()}", file=sys.stderr)
    first = [(t.first_output_at or 0.0) - t.asked_at for t in good]
    done = [(t.exit_at or 0.0) - t.asked_at for t in good]
    last_exit = max(((t.exit_at or 0.0) for t in good), default=first_ask) - first_ask
    await asyncio.sleep(1)  # let the server's last bookkeeping settle before the sandbox alone
    sandbox_rate, sandbox_last = await sandbox_throughput(language, source, expected, n, at_once)
    rate = len(good) / last_exit if good and last_exit > 0 else 0.0
    client_cpu = (client1.user + client1.system) - (client0.user + client0.system)
    return {
        "language": language, "n": n, "ok": len(good), "failed": len(failed),
        "first": first, "exit": done, "last_exit": last_exit, "rate": rate,
        "sandbox_rate": sandbox_rate, "sandbox_last": sandbox_last, "at_once": at_once,
        "displacement": mean_displacement(good),
        "server_cpu_ms_per_run": 1000 * (cpu1 - cpu0) / n,
        "client_cpu_s": client_cpu,
        "frames": statistics.fmean(t.frames for t in terminals),
        "load": os.getloadavg()[0],
    }


# --- tables --------------------------------------------------------------------------------------


def table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    sys.stdout.flush()


def print_alone(rows: list[dict[str, Any]]) -> None:
    print("\n## one student alone, interleaved with the runner alone (medians, ms)\n")
    lines = [("language", "runs", "server: first output / exit / max", "sandbox: first output / exit / max",
              "overhead (exit)", "load")]
    for r in rows:
        lines.append((r["language"], str(r["runs"]),
                      f"{r['server_first']:.0f} / {r['server_exit']:.0f} / {r['server_max']:.0f}",
                      f"{r['sandbox_first']:.0f} / {r['sandbox_exit']:.0f} / {r['sandbox_max']:.0f}",
                      f"{r['server_exit'] - r['sandbox_exit']:+.0f} ms", f"{r['load']:.1f}"))
    table(lines)


def print_classes(rows: list[dict[str, Any]]) -> None:
    print("\n## N students press Run at once (seconds from sending `run`; per student)\n")
    lines = [("language", "N", "first output median / p95 / max", "exit median / p95 / max", "runs/s",
              "sandbox alone runs/s (at once; last exit)", "server / sandbox", "fairness (mean displacement)",
              "failed", "server CPU / run", "client CPU", "frames / student", "load")]
    for r in rows:
        def three(values: list[float]) -> str:
            if not values:
                return "—"
            return f"{statistics.median(values):.2f} / {p95(values):.2f} / {max(values):.2f}"

        lines.append((r["language"], str(r["n"]), three(r["first"]), three(r["exit"]), f"{r['rate']:.1f}",
                      f"{r['sandbox_rate']:.1f} ({r['at_once']}; {r['sandbox_last']:.2f} s)",
                      f"{100 * r['rate'] / r['sandbox_rate']:.0f}%", f"{r['displacement']:.2f} places",
                      str(r["failed"]), f"{r['server_cpu_ms_per_run']:.0f} ms", f"{r['client_cpu_s']:.2f} s",
                      f"{r['frames']:.1f}",
                      f"{r['load']:.1f}"))
    table(lines)


# --- the run ---------------------------------------------------------------------------------------


def classes(args: argparse.Namespace) -> list[tuple[str, list[int]]]:
    return [(language, args.students if language == "python" else args.other_students)
            for language in args.languages if (args.students if language == "python" else args.other_students)]


async def bench(args: argparse.Namespace, env: dict[str, str], base: str, server_pid: int) -> None:
    from django.conf import settings

    from coding.languages import LANGUAGES

    at_once = int(settings.RUN_LIMITS["max_concurrent"])
    ws_base = base.replace("http://", "ws://")
    teacher = teacher_token(base, env["TEACHER_INVITE_CODE"])
    alone_rows: list[dict[str, Any]] = []
    class_rows: list[dict[str, Any]] = []
    for language, sizes in classes(args):
        source = PYTHON_SOURCE if language == "python" else LANGUAGES[language].hello
        expected = b"hi" if language == "python" else b"Hello, world!"
        students = open_class(base, teacher, language, source, max(sizes))
        print(f"# {language}: {len(students)} guests joined through /api/join", flush=True)
        lone = Terminal(students[0])
        await lone.connect(ws_base)
        await asyncio.sleep(0.5)
        try:
            await lone.press_run()  # warm-up: the server's first run of this language, and the runner's
            await asyncio.wait_for(lone.done.wait(), args.timeout)
            if not lone.ok(expected):
                raise SystemExit(f"the warm-up run failed: {lone.problem()}")
            await sandbox_run(language, source, expected)
            runs = args.alone_runs if language == "python" else max(2, args.alone_runs // 3)
            if runs:
                alone_rows.append(await alone(lone, language, source, expected, runs, args.timeout))
                print_alone(alone_rows)
        finally:
            await lone.close()
        for n in sizes:
            await asyncio.sleep(1)
            class_rows.append(await press_together(ws_base, students[:n], language, source, expected,
                                                   server_pid, at_once, args.timeout))
            print_classes(class_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, nargs="*", default=[30, 100, 200],
                        help="class sizes for Python (default 30 100 200)")
    parser.add_argument("--other-students", type=int, nargs="*", default=[30],
                        help="class sizes for the other languages (default 30)")
    parser.add_argument("--languages", nargs="+", default=["python", "java"],
                        choices=["python", "javascript", "typescript", "c", "cpp", "java"])
    parser.add_argument("--alone-runs", type=int, default=10,
                        help="one student's runs (Python; a third for the others; 0: none)")
    parser.add_argument("--quick", action="store_true",
                        help="a check that it all works: Python 10 students, others 5, 3 alone runs")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds a class may take")
    parser.add_argument("--max-concurrent", type=int, default=0,
                        help="RUNS_MAX_CONCURRENT for the server and the sandbox alone (default: the server's)")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/observer_bench_runs",
                        help="PostgreSQL database to create, use and drop")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="an empty Redis database")
    parser.add_argument("--priority", type=int, default=0,
                        help="run the server (and this client) at this nice level, e.g. -10 on a shared machine")
    parser.add_argument("--keep-logs", action="store_true", help="keep the server's log")
    args = parser.parse_args()
    if args.quick:
        args.students, args.other_students, args.alone_runs = [10], [5], 3
    if not urllib.parse.urlsplit(args.database).scheme.startswith("postgres"):
        parser.error("--database must be a postgres:// URL (the benchmark measures PostgreSQL + Redis)")
    max_n = max([*args.students, *args.other_students, 1])
    if args.priority:
        PRIORITY[:] = ["nice", "-n", str(args.priority)]
        os.nice(args.priority)
    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:
        run = asyncio.run

    # A plain `kill` (or `timeout`) still stops the server and drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="observer-bench-runs-"))
    env = server_env(args, workdir, max_n)
    redis_client = redis_claim(args.redis)
    database_create(args.database)
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "observer.settings"
        import django

        django.setup()
        from django.conf import settings

        from coding.sandbox import check_backend

        _, ok, message = check_backend("bubblewrap", fresh=True)
        if not ok:
            raise SystemExit(f"bubblewrap is not available: {message}")
        port = free_port()
        server = start_server(env, port, workdir / "server.log")
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, server)
        conf = settings.RUN_LIMITS
        print(f"# run-path benchmark on {os.cpu_count()} cores, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
              + (f"; server and client at nice {args.priority}" if args.priority else ""))
        database = urllib.parse.urlsplit(args.database).path.lstrip("/")
        print(f"# server: observer.server (uvicorn) on PostgreSQL ({database}) + Redis "
              f"({args.redis}), sandbox bubblewrap ({message})")
        print("# limits raised so that none refuses the benchmark's runs: "
              + " ".join(f"{k}={v}" for k, v in limits_env(max_n, args.max_concurrent).items()))
        print(f"# concurrency cap: RUNS_MAX_CONCURRENT={conf['max_concurrent']} "
              f"({'set by --max-concurrent' if args.max_concurrent else 'the default, max(2, 2 x cores)'}); "
              f"the sandbox alone runs as many at once", flush=True)
        run(bench(args, env, base, server.pid))
    finally:
        # Cleaning up takes seconds (the server stops gracefully): a second signal must not cut it short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if server is not None:
            stop(server)
        database_drop(args.database)
        redis_client.flushdb()
        if args.keep_logs:
            print(f"server log kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
