"""Benchmark of the Judge0-compatible API: submissions per second, through the real product.

An Observer server (observer.server, started here, loopback only) on PostgreSQL + Redis with the real
bubblewrap sandbox; an API key made with `manage.py create_api_key`. N submissions of
`print("hi")` (Python) are sent by C clients at once, spread over K keys (a key holds
one place in the fair queue, so its submissions run one after another: --keys 1 4), two ways:
- wait: `POST /judge0/submissions?wait=true` (the answer is the result);
- poll: `POST /judge0/submissions` then `GET /judge0/submissions/{token}` every 0.1 s
  until it is finished, as the official client does.
Printed: submissions per second (N over the time from the first request to the last
result), latency per submission (median, p95), and beside it the sandbox's own
throughput measured in the same run: the same N programs through
`coding.runner.run_batch` directly, as many at once as the server's run cap.

The key's and the runs' rate limits would refuse the benchmark's submissions, so the
server runs with them raised (printed); the concurrency cap stays the server's default.

    .venv/bin/python tests/bench/bench_judge0.py
    .venv/bin/python tests/bench/bench_judge0.py --submissions 50 --clients 8

Needs: PostgreSQL at --database (created here, dropped at the end), an empty Redis
database at --redis, bubblewrap, the dev requirements. Not a test: the numbers depend on
the machine and its load, which is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_runs import (  # noqa: E402
    database_create,
    database_drop,
    free_port,
    p95,
    redis_claim,
    start_server,
    stop,
    table,
    wait_healthy,
)

SOURCE = 'print("hi")\n'


def request(base: str, key: str, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{base}{path}", data=data, method=method,
                                 headers={"X-Auth-Token": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as answer:
        return answer.status, json.loads(answer.read())


def one_wait(base: str, key: str) -> float:
    started = time.perf_counter()
    status, data = request(base, key, "POST", "/judge0/submissions?wait=true",
                           {"source_code": SOURCE, "language_id": 71})
    if status != 201 or data["status"]["id"] != 3 or data["stdout"] != "hi\n":
        raise RuntimeError(f"unexpected answer: {status} {data}")
    return time.perf_counter() - started


def one_poll(base: str, key: str) -> float:
    started = time.perf_counter()
    _, made = request(base, key, "POST", "/judge0/submissions", {"source_code": SOURCE, "language_id": 71})
    while True:
        time.sleep(0.1)
        _, data = request(base, key, "GET", f"/judge0/submissions/{made['token']}")
        if data["status"]["id"] > 2:
            break
    if data["status"]["id"] != 3 or data["stdout"] != "hi\n":
        raise RuntimeError(f"unexpected answer: {data}")
    return time.perf_counter() - started


def through_api(base: str, keys: list[str], n: int, clients: int, how: str) -> dict[str, float]:
    """n submissions, spread evenly over the keys (a key runs one at a time: one queue place)."""
    one = one_wait if how == "wait" else one_poll
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(lambda i: one(base, keys[i % len(keys)]), range(n)))
    elapsed = time.perf_counter() - started
    return {"rate": n / elapsed, "median": statistics.median(latencies), "p95": p95(latencies), "elapsed": elapsed}


async def sandbox_alone(n: int, at_once: int) -> dict[str, float]:
    from coding import runner

    left, latencies = list(range(n)), []

    async def worker() -> None:
        while left:
            left.pop()
            t0 = time.perf_counter()
            result = await runner.run_batch(language="python", files=[("main.py", SOURCE)])
            if result.status != "ok" or result.stdout != b"hi\n":
                raise RuntimeError(f"the sandbox alone failed: {result.status} {result.message[-300:]}")
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(at_once)))
    elapsed = time.perf_counter() - started
    return {"rate": n / elapsed, "median": statistics.median(latencies), "p95": p95(latencies), "elapsed": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--clients", type=int, default=0, help="HTTP clients at once (default: twice the run cap)")
    parser.add_argument("--keys", type=int, nargs="*", default=[1, 4],
                        help="numbers of API keys the submissions are spread over (one row each)")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/observer_bench_judge0")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="an empty Redis database")
    args = parser.parse_args()

    database_create(args.database)
    redis = redis_claim(args.redis)
    workdir = Path(tempfile.mkdtemp(prefix="bench-judge0-"))
    raised = {"RUNS_PER_WINDOW": "1000000", "RUN_QUEUE_MAX": "100000"}
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    tag = f"benchjudge0{os.getpid()}"
    env.update({"DATABASE_URL": args.database, "REDIS_URL": args.redis, "DJANGO_ENV": "development",
                "DJANGO_DEBUG": "false", "LOG_LEVEL": "WARNING", "CHANNEL_PREFIX": tag, "CACHE_PREFIX": tag,
                "SANDBOX_BACKEND": "bubblewrap", "PYTHONPATH": str(ROOT), **raised})
    process = None
    try:
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "shell", "-c", "from accounts.models import User, Role; "
                        "User.objects.create_user('bench', password=None, role=Role.TEACHER)"],
                       cwd=ROOT, env=env, check=True)
        keys = [subprocess.run([*manage, "create_api_key", "bench", "--name", f"bench {i}", "--requests-rate",
                                "999999/15m", "--executions-rate", "999999/m"], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True).stdout.strip() for i in range(max(args.keys))]
        port = free_port()
        process = start_server(env, port, workdir / "server.log")
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, process)

        os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SANDBOX_BACKEND", *raised)})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observer.settings")
        import django

        django.setup()
        from coding import limits

        cap = int(limits.config()["max_concurrent"])
        clients = args.clients or 2 * cap
        n = args.submissions
        print(f"# {n} Python submissions, {clients} clients, run cap {cap}; load {os.getloadavg()[0]:.2f}, "
              f"{os.cpu_count()} cores; raised for the benchmark: {raised}, the key's limits")
        request(base, keys[0], "POST", "/judge0/submissions?wait=true", {"source_code": SOURCE, "language_id": 71})
        rows = [("path", "submissions/s", "median s", "p95 s", "total s")]
        results = {}
        for count in args.keys:
            used = keys[:count]
            results[f"Judge0 API, wait=true, {count} key(s)"] = through_api(base, used, n, clients, "wait")
            results[f"Judge0 API, polling every 0.1 s, {count} key(s)"] = through_api(base, used, n, clients, "poll")
        results[f"sandbox alone (coding.runner.run_batch, {cap} at once)"] = asyncio.run(sandbox_alone(n, cap))
        for name, r in results.items():
            rows.append((name, f"{r['rate']:.1f}", f"{r['median']:.3f}", f"{r['p95']:.3f}", f"{r['elapsed']:.1f}"))
        table(rows)
        print(f"# load after: {os.getloadavg()[0]:.2f}")
    finally:
        if process is not None:
            stop(process)
        redis.flushdb()
        database_drop(args.database)


if __name__ == "__main__":
    main()
