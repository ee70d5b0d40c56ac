"""Benchmark of Submit: a class presses Submit within one second, through the real product.

An Observer server (observer.server, started here, loopback only) on PostgreSQL + Redis with the real
bubblewrap sandbox, as tests/bench/bench_runs.py starts it (its helpers are reused).
Over the REST API a teacher writes a 10-case exercise (a + b: 5 sample cases, 5 hidden)
with its solution in Python and in Java, and for each language opens a session whose
starter file is the solution, attaches the exercise, and N guests join. Each guest opens
the session socket; then every guest POSTs Submit, all within about a second (a thread
pool), and waits for its `exercise.result` event.

Printed per language: per student, the time from sending Submit to the result (median,
p95, max) and until every student had one; the fairness of the order (finishing order
against asking order: the mean displacement, in places); server CPU per submission (the
server process and the sandboxes it started and waited for); beside it the same 10
cases run bare (no sandbox, no harness: the program started once per case with the
case's stdin, a Java program compiled once), CPU per submission, and the ratio.

    .venv/bin/python tests/bench/bench_exercises.py
    .venv/bin/python tests/bench/bench_exercises.py --students 20 --languages python

Needs what bench_runs needs (a PostgreSQL database to create and drop, an empty Redis
database, bubblewrap, websockets and psutil). Not a test: the numbers depend on the
machine and its load, which is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_runs as br  # noqa: E402

SOLUTIONS = {
    "python": ("main.py", "a, b = map(int, input().split())\nprint(a + b)\n"),
    "java": ("Main.java", "import java.util.Scanner;\npublic class Main {\n  public static void main(String[] a) {\n"
                          "    Scanner s = new Scanner(System.in);\n    long x = s.nextLong(), y = s.nextLong();\n"
                          "    System.out.println(x + y);\n  }\n}\n"),
}  # fmt: skip
CASES = [(f"{i} {i * 7}\n", f"{i + i * 7}\n") for i in range(1, 11)]


def exercise_body(language: str) -> dict[str, Any]:
    name, source = SOLUTIONS[language]
    return {
        "title": f"bench sum {language}", "statement": "Print a + b.", "languages": [language],
        "starter_files": {language: [{"name": name, "content": source}]},
        "solution_files": {language: [{"name": name, "content": source}]},
        "tests": [{"kind": "io", "visibility": "sample" if i < 5 else "hidden", "stdin": stdin,
                   "expected_stdout": out, "time_limit_ms": 5000} for i, (stdin, out) in enumerate(CASES)],
    }  # fmt: skip


@dataclass(eq=False)
class Student:
    participant_id: str
    token: str
    ws: Any = None
    asked_at: float = 0.0
    result_at: float | None = None
    result: dict[str, Any] | None = None
    progress: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    async def connect(self, ws_base: str, session_id: str) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"{ws_base}/ws/sessions/{session_id}/", origin=br.ORIGIN, compression=None, max_size=None,
            subprotocols=["observer", f"bearer.{self.token}"],
        )  # fmt: skip
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            if not isinstance(raw, str):
                continue
            event = json.loads(raw)
            if event.get("type") == "exercise.progress":
                self.progress += 1
            elif event.get("type") == "exercise.result" and event["submission"]["kind"] == "submit":
                self.result_at, self.result = time.perf_counter(), event["submission"]
                self.done.set()


def open_class(base: str, teacher: str, language: str, n: int) -> tuple[str, str, list[Student]]:
    exercise = br.api(base, "POST", "/api/exercises/", exercise_body(language), teacher)
    check = br.api(base, "POST", f"/api/exercises/{exercise['id']}/check-solution", {}, teacher)
    if not check["results"][language]["passed"]:
        raise SystemExit(f"the {language} solution does not pass its tests: {check['results'][language]}")
    name, source = SOLUTIONS[language]
    session = br.api(base, "POST", "/api/sessions/", {
        "title": f"bench exercises {language}", "language": language, "max_participants": max(n, 1),
        "starter_files": [{"name": name, "content": source}],
    }, teacher)  # fmt: skip
    code = br.api(base, "POST", f"/api/sessions/{session['id']}/start", token=teacher)["join_code"]
    link = br.api(base, "POST", f"/api/sessions/{session['id']}/exercises/", {"exercise_id": exercise["id"]}, teacher)

    def join(i: int) -> Student:
        joined = br.api(base, "POST", "/api/join", {"code": code, "display_name": f"student {i}"})
        return Student(joined["participant"]["id"], joined["token"])

    with ThreadPoolExecutor(8) as pool:
        return session["id"], link["id"], list(pool.map(join, range(n)))


def bare_cpu_per_submission(language: str, rounds: int = 5) -> float:
    """CPU seconds of the 10 cases run bare (no sandbox, no harness), per submission."""
    work = Path(tempfile.mkdtemp(prefix="observer-bench-bare-"))
    try:
        name, source = SOLUTIONS[language]
        (work / name).write_text(source)
        argv = [sys.executable, name] if language == "python" else ["java", "-cp", str(work), "Main"]
        if language == "java":
            subprocess.run(["javac", name], cwd=work, check=True)  # compiled once per submission
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for _ in range(rounds):
            if language == "java":
                subprocess.run(["javac", name], cwd=work, check=True)
            for stdin, expected in CASES:
                out = subprocess.run(argv, cwd=work, input=stdin.encode(), capture_output=True, check=True).stdout
                assert out.decode() == expected, (out, expected)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / rounds
    finally:
        shutil.rmtree(work, ignore_errors=True)


def server_cpu(pid: int) -> float:
    """The server process's own CPU (the sandboxes' is counted from their Execution rows)."""
    import psutil

    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system)


def sandbox_cpu(session_id: str) -> tuple[float, int]:
    """The grading runs' CPU as the sandbox measured it (its cgroup), and how many runs."""
    from django.db.models import Count, Sum

    from coding.models import Execution

    totals = Execution.objects.filter(session_id=session_id).aggregate(cpu=Sum("cpu_ms"), runs=Count("id"))
    return (totals["cpu"] or 0) / 1000, int(totals["runs"] or 0)


async def press_submit(base: str, ws_base: str, session_id: str, link_id: str, students: list[Student],
                       server_pid: int, timeout: float) -> dict[str, Any]:  # fmt: skip
    for i in range(0, len(students), 25):
        await asyncio.gather(*(s.connect(ws_base, session_id) for s in students[i : i + 25]))
    await asyncio.sleep(1)
    loop = asyncio.get_running_loop()
    refused: list[str] = []

    def submit(student: Student) -> None:
        student.asked_at = time.perf_counter()
        try:
            br.api(base, "POST", f"/api/participants/{student.participant_id}/exercises/{link_id}/submit",
                   token=student.token)  # fmt: skip
        except SystemExit as error:
            refused.append(str(error))
            student.done.set()

    cpu0 = server_cpu(server_pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, submit, s) for s in students))
    sent_within = max(s.asked_at for s in students) - started
    try:
        await asyncio.wait_for(asyncio.gather(*(s.done.wait() for s in students)), timeout)
    except TimeoutError:
        pass
    cpu1 = server_cpu(server_pid)
    sandbox, runs = await loop.run_in_executor(None, sandbox_cpu, session_id)
    for s in students:
        await s.ws.close()
        if s.reader is not None:
            s.reader.cancel()
    good = [s for s in students if s.result and s.result["status"] == "graded" and s.result["passed"]]
    for problem in refused[:3]:
        print(f"  refused: {problem}", file=sys.stderr)
    for s in [s for s in students if s.result and s not in good][:3]:
        print(f"  not passed: {s.result}", file=sys.stderr)
    times = [(s.result_at or 0.0) - s.asked_at for s in good]
    asked = sorted(good, key=lambda s: s.asked_at)
    place = {id(s): i for i, s in enumerate(sorted(good, key=lambda s: s.result_at or 0.0))}
    return {
        "n": len(students), "ok": len(good), "failed": len(students) - len(good), "sent_within": sent_within,
        "times": times, "all_done": max(((s.result_at or 0.0) for s in good), default=started) - started,
        "displacement": statistics.fmean(abs(i - place[id(s)]) for i, s in enumerate(asked)) if good else float("nan"),
        "server_cpu": (cpu1 - cpu0) / len(students), "cpu_per_submission": sandbox / max(runs, 1),
        "runs": runs,
        "progress_events": statistics.fmean(s.progress for s in students),
        "load": os.getloadavg()[0],
    }  # fmt: skip


async def bench(args: argparse.Namespace, env: dict[str, str], base: str, server_pid: int) -> None:
    ws_base = base.replace("http://", "ws://")
    teacher = br.teacher_token(base, env["TEACHER_INVITE_CODE"])
    rows = []
    for language in args.languages:
        session_id, link_id, students = open_class(base, teacher, language, args.students)
        print(f"# {language}: exercise checked with its solution; {len(students)} guests joined", flush=True)
        result = await press_submit(base, ws_base, session_id, link_id, students, server_pid, args.timeout)
        result["language"] = language
        result["bare_cpu"] = bare_cpu_per_submission(language)
        rows.append(result)
        lines = [("language", "N", "Submits sent within", "result median / p95 / max (s)", "all results after",
                  "fairness (mean displacement)", "failed", "progress events / student",
                  "server process CPU / submission", "sandbox CPU / submission (its cgroup)",
                  "bare CPU / submission (10 cases)", "sandbox / bare", "load")]  # fmt: skip
        for r in rows:
            t = r["times"]
            three = f"{statistics.median(t):.2f} / {br.p95(t):.2f} / {max(t):.2f}" if t else "—"
            lines.append((r["language"], str(r["n"]), f"{r['sent_within']:.2f} s", three, f"{r['all_done']:.1f} s",
                          f"{r['displacement']:.1f} places", str(r["failed"]), f"{r['progress_events']:.1f}",
                          f"{1000 * r['server_cpu']:.0f} ms", f"{1000 * r['cpu_per_submission']:.0f} ms",
                          f"{1000 * r['bare_cpu']:.0f} ms",
                          f"{r['cpu_per_submission'] / r['bare_cpu']:.2f}x", f"{r['load']:.1f}"))  # fmt: skip
        print()
        br.table(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--languages", nargs="+", default=["python", "java"], choices=sorted(SOLUTIONS))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a class may take")
    parser.add_argument("--max-concurrent", type=int, default=0, help="RUNS_MAX_CONCURRENT (default: the server's)")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/observer_bench_exercises")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/4", help="an empty Redis database")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="observer-bench-exercises-"))
    args.priority = 0
    env = br.server_env(args, workdir, args.students)
    env["CHANNEL_PREFIX"] = env["CACHE_PREFIX"] = f"benchex{os.getpid()}"
    redis_client = br.redis_claim(args.redis)
    br.database_create(args.database)
    server = None
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "observer.settings"
        import django

        django.setup()
        from django.conf import settings

        port = br.free_port()
        server = br.start_server(env, port, workdir / "server.log")
        base = f"http://127.0.0.1:{port}"
        br.wait_healthy(base, server)
        print(f"# Submit benchmark on {os.cpu_count()} cores, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(
            f"# server: observer.server (uvicorn) on PostgreSQL + Redis ({args.redis}), sandbox bubblewrap; "
            f"RUNS_MAX_CONCURRENT={settings.RUN_LIMITS['max_concurrent']}; limits raised: "
            + " ".join(f"{k}={v}" for k, v in br.limits_env(args.students, args.max_concurrent).items()),
            flush=True,
        )
        asyncio.run(bench(args, env, base, server.pid))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if server is not None:
            br.stop(server)
        br.database_drop(args.database)
        redis_client.flushdb()
        if args.keep_logs:
            print(f"server log kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
