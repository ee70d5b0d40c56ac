"""Sandbox benchmark: hello-world latency per backend and language beside the same
program run bare on the host, and sustained throughput with concurrent runners.

    python tests/bench/bench_sandbox.py                       # every available backend
    python tests/bench/bench_sandbox.py --backends bubblewrap --languages python --runs 100
    python tests/bench/bench_sandbox.py --podman-rest         # also podman over REST

"Start run to exit" is ``coding.runner.run_batch`` (compile step included) for the
backends. Two bare baselines run the same compile and run commands on the host with
the sandbox's clean environment: ``bare-sync`` is a plain blocking ``subprocess.run``
in a prepared directory (the cheapest way to run a program from Python), and
``bare-async`` is what a server would do (a fresh temp dir, asyncio subprocesses).
``bubblewrap`` is the backend as configured (its warm pool on by default: the count
of steps that got a warm sandbox is printed); ``bubblewrap-cold`` the same with the
pool bypassed, every step in a sandbox started for it. ``podman`` and ``docker`` run the
same container design through their CLIs (docker needs dockerd and
``deploy/docker/setup.sh``); a backend that is not available here is listed and left out.
Every iteration runs every runner once, in a rotating order, so load drift from
other work on the machine hits them alike; throughput alternates short windows the
same way. p95 is printed only with at least 20 samples (n is printed).

The sandbox settings are Django's (``DJANGO_SETTINGS_MODULE``, default
``observer.settings``, so what ``manage.py`` would use); ``--no-django`` uses the
defaults and ``OBSERVER_<SETTING>`` environment variables instead.

``--podman-rest`` compares, for Python, one podman container run with exactly the
options the backend builds (outside the runner, no run cgroup): through the local CLI,
through ``podman --remote`` (the same CLI over the REST API), and through podman-py
(the REST API from Python, options translated one by one; unknown ones abort).
The accounting section runs a Python program that spends 0.3 s of CPU and prints its
own CPU time (getrusage), and prints how far above it each backend's reported figure is
(median and max): what a run's cgroup charges besides the program (the interpreter's
exit, the exec; nothing of a warm sandbox's start-up). The test suite only bounds this
(tests/coding/test_warm_pool.py); how close it is depends on the machine, so it is here.

Not a test: numbers depend on the machine; docs/sandbox.md records ours.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

RUNS = {"python": 60, "javascript": 30, "typescript": 10, "c": 20, "cpp": 10, "java": 10}
COLD_TOO = {"python", "javascript"}  # the languages whose run step a warm sandbox can take
P95_MIN_SAMPLES = 20
Call = Callable[[], Awaitable[None]]


def configure(use_django: bool) -> str:
    if not use_django:
        return "defaults and OBSERVER_* environment variables"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observer.settings")
    import django

    django.setup()
    return f"Django settings ({os.environ['DJANGO_SETTINGS_MODULE']})"


def use_backend(name: str) -> None:
    """Make ``name`` the backend runner.run_batch uses."""
    from django.conf import settings

    if settings.configured:
        settings.SANDBOX_BACKEND = name
    else:
        os.environ["OBSERVER_SANDBOX_BACKEND"] = name


def p95(values: list[float]) -> str:
    if len(values) < P95_MIN_SAMPLES:
        return "—"
    ordered = sorted(values)
    return f"{ordered[-(-len(ordered) * 95 // 100) - 1]:.1f}"  # nearest rank


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


class Bare:
    """The language's own compile and run commands as plain host processes."""

    def __init__(self, name: str) -> None:
        from coding.languages import LANGUAGES, RUNTIMES_MOUNT, expand_argv
        from coding.sandbox.config import setting
        from coding.sandbox.requests import default_limits

        self.language = lang = LANGUAGES[name]
        self.runtimes = str(setting("SANDBOX_RUNTIMES_DIR"))
        self.mount = RUNTIMES_MOUNT
        limits = default_limits(lang.name)
        self.templates = [
            expand_argv(t, language=lang, file_names=[lang.entry_name], entry=lang.entry_name, limits=limits)
            for t in (lang.compile, lang.run) if t is not None
        ]
        self.prepared = self._directory()

    def _directory(self) -> tuple[str, list[list[str]], dict[str, str]]:
        work = tempfile.mkdtemp(prefix="bench-bare-")
        os.mkdir(os.path.join(work, "build"))
        Path(work, self.language.entry_name).write_text(self.language.hello)
        mapping = {"/build": os.path.join(work, "build"), self.mount: self.runtimes}

        def host(arg: str) -> str:
            for inside, outside in mapping.items():
                if arg.startswith(inside):
                    return outside + arg[len(inside):]
            return arg

        # The sandbox's clean environment (the host's may make runtimes slower, e.g.
        # NODE_EXTRA_CA_CERTS makes node load a CA bundle).
        env = {"PATH": "/usr/bin:/bin", "HOME": work, "LANG": "C.UTF-8", **self.language.env}
        return work, [[host(a) for a in argv] for argv in self.templates], env

    def run_sync(self) -> None:
        work, steps, env = self.prepared
        for argv in steps:
            done = subprocess.run(argv, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"bare {self.language.name} failed: {done.stderr.decode()[-300:]}")

    async def sync(self) -> None:
        self.run_sync()  # blocking on purpose: the loop has nothing else to do meanwhile

    async def sync_in_thread(self) -> None:  # for concurrent runners
        await asyncio.to_thread(self.run_sync)

    async def run_async(self) -> None:
        work, steps, env = self._directory()
        try:
            for argv in steps:
                process = await asyncio.create_subprocess_exec(
                    *argv, cwd=work, stdin=subprocess.DEVNULL, env=env,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                )
                _, err = await process.communicate()
                if process.returncode != 0:
                    raise RuntimeError(f"bare {self.language.name} failed: {err.decode()[-300:]}")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.prepared[0], ignore_errors=True)


WARM = {"claims": 0, "warm": 0, "cold_runs": 0}


def count_warm_claims() -> None:
    """Count how many bubblewrap steps a warm sandbox took (printed with the tables),
    and let bubblewrap-cold runs bypass the pool (even two at once)."""
    from coding.sandbox import backend_instance
    from coding.sandbox.base import StepSpec
    from coding.sandbox.warm_step import pool_key

    pool = backend_instance("bubblewrap").pool  # type: ignore[attr-defined]
    claim = pool.claim

    async def counted(spec: StepSpec) -> object:
        if WARM["cold_runs"]:
            return None
        step = await claim(spec)
        if pool_key(spec) is not None:  # a step a warm sandbox could take (no /build)
            WARM["claims"] += 1
            WARM["warm"] += step is not None
        return step

    pool.claim = counted


def sandboxed(backend: str, name: str, *, cold: bool = False) -> Call:
    """``backend``'s run_batch; ``cold``: bubblewrap with its warm pool bypassed, so
    every step starts a new sandbox (the path without observer-launcher)."""
    from coding import runner
    from coding.languages import LANGUAGES
    from coding.sandbox.base import Status

    lang = LANGUAGES[name]

    async def run() -> None:
        use_backend(backend)
        WARM["cold_runs"] += cold
        try:
            result = await runner.run_batch(language=name, files=[(lang.entry_name, lang.hello)])
        finally:
            WARM["cold_runs"] -= cold
        if result.status != Status.OK or result.stdout != b"Hello, world!\n":
            raise RuntimeError(f"{backend} {name}: {result.status} {result.message[-300:]}")

    return run


async def interleaved(runners: dict[str, Call], runs: int) -> dict[str, list[float]]:
    """Each iteration runs every runner once, starting one further each time."""
    for call in runners.values():
        await call()  # warm caches (and the backend's one-time check)
    times: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for iteration in range(runs):
        for offset in range(len(names)):
            name = names[(iteration + offset) % len(names)]
            started = time.perf_counter()
            await runners[name]()
            times[name].append((time.perf_counter() - started) * 1000)
    return times


async def throughput(runners: dict[str, Call], workers: int, seconds: float, rounds: int) -> dict[str, float]:
    """Runs per second with ``workers`` concurrent runners, in alternating windows."""
    done = dict.fromkeys(runners, 0)
    spent = dict.fromkeys(runners, 0.0)
    for _ in range(rounds):
        for name, call in runners.items():
            deadline = time.perf_counter() + seconds / rounds

            async def worker(name: str = name, call: Call = call, deadline: float = deadline) -> None:
                while time.perf_counter() < deadline:
                    await call()
                    done[name] += 1

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(workers)))
            spent[name] += time.perf_counter() - started
    return {name: done[name] / spent[name] for name in runners}


ACCOUNTED = (
    "import resource, time\n"
    "end = time.process_time() + 0.3\n"
    "while time.process_time() < end:\n    pass\n"
    "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print(int((usage.ru_utime + usage.ru_stime) * 1000))\n"
)


async def accounting(backends: list[str], runs: int) -> list[tuple[str, ...]]:
    """Per backend: reported CPU ms minus the program's own, median and max over ``runs``."""
    from coding import runner

    rows = [("runner", "n", "median extra ms", "max extra ms")]
    names = [*backends, *(["bubblewrap-cold"] if "bubblewrap" in backends else [])]
    for name in names:
        use_backend(name.removesuffix("-cold"))
        extra: list[float] = []
        cold = name.endswith("-cold")
        for _ in range(runs):
            WARM["cold_runs"] += cold
            try:
                result = await runner.run_batch(language="python", files=[("main.py", ACCOUNTED)])
            finally:
                WARM["cold_runs"] -= cold
            if result.status == "ok":
                extra.append(result.cpu_ms - int(result.stdout))
        rows.append((name, str(len(extra)), f"{median(extra):.0f}" if extra else "-",
                     f"{max(extra):.0f}" if extra else "-"))
    return rows


def table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backends", nargs="*", default=["bubblewrap", "podman", "docker"])
    parser.add_argument("--languages", nargs="*", default=list(RUNS))
    parser.add_argument("--runs", type=int, default=0, help="iterations per language (default: per language)")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput time per runner")
    parser.add_argument("--rounds", type=int, default=5, help="throughput windows per runner")
    parser.add_argument("--workers", type=int, default=2, help="concurrent runners for throughput")
    parser.add_argument("--podman-rest", action="store_true", help="podman CLI vs REST, same options")
    parser.add_argument("--no-django", action="store_true", help="ignore Django settings")
    parser.add_argument("--accounting-runs", type=int, default=10, help="CPU accounting runs per backend (0: none)")
    args = parser.parse_args()

    where = configure(not args.no_django)
    from coding.sandbox import check_backend
    from coding.sandbox.config import setting

    print(f"# sandbox benchmark on {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {where}")
    backends = []
    for backend in args.backends:
        instance, ok, message = check_backend(backend, fresh=True)
        print(f"# {backend}: {message if ok else 'unavailable: ' + message}")
        if ok:
            backends.append(backend)
    print(f"# SANDBOX_CGROUP={setting('SANDBOX_CGROUP')!r} SANDBOX_CPU_QUOTA={setting('SANDBOX_CPU_QUOTA')} "
          f"SANDBOX_WORK_ROOT={setting('SANDBOX_WORK_ROOT')!r} SANDBOX_LIMITS={setting('SANDBOX_LIMITS')} "
          f"SANDBOX_WARM_POOL={setting('SANDBOX_WARM_POOL')}")
    if "bubblewrap" in backends:
        count_warm_claims()

    rows = [("language", "runner", "n", "median ms", "p95 ms", "vs bare-sync", "vs bare-async")]
    for name in args.languages:
        bare = Bare(name)
        runners: dict[str, Call] = {"bare-sync": bare.sync, "bare-async": bare.run_async}
        runners.update({backend: sandboxed(backend, name) for backend in backends})
        if "bubblewrap" in backends and name in COLD_TOO:
            runners["bubblewrap-cold"] = sandboxed("bubblewrap", name, cold=True)
        times = await interleaved(runners, args.runs or RUNS[name])
        bare.close()
        base_sync, base_async = median(times["bare-sync"]), median(times["bare-async"])
        for runner_name, values in times.items():
            m = median(values)
            rows.append((name, runner_name, str(len(values)), f"{m:.1f}", p95(values),
                         f"{m / base_sync:.2f}x", f"{m / base_async:.2f}x"))
    print("\n## hello world, start of run to exit (interleaved)\n")
    table(rows)
    print(f"\n{WARM['warm']} of {WARM['claims']} bubblewrap run steps without /build (not counting "
          "bubblewrap-cold) ran in a warm sandbox")
    WARM.update(claims=0, warm=0)

    if "python" in args.languages:
        bare = Bare("python")
        runners = {"bare-sync": bare.sync_in_thread, "bare-async": bare.run_async}
        runners.update({backend: sandboxed(backend, "python") for backend in backends})
        if "bubblewrap" in backends:
            runners["bubblewrap-cold"] = sandboxed("bubblewrap", "python", cold=True)
        rates = await throughput(runners, args.workers, args.seconds, args.rounds)
        bare.close()
        if "bubblewrap" in backends:
            print(f"\n{WARM['warm']} of {WARM['claims']} bubblewrap steps ran in a warm sandbox")
        print(f"\n## python hello world throughput, {args.workers} concurrent runners, "
              f"{args.seconds:g} s each in {args.rounds} alternating windows\n")
        rows = [("runner", "runs/s", "vs bare-sync", "vs bare-async")]
        for runner_name, rate in rates.items():
            rows.append((runner_name, f"{rate:.1f}", f"{100 * rate / rates['bare-sync']:.0f}%",
                         f"{100 * rate / rates['bare-async']:.0f}%"))
        table(rows)

    if args.accounting_runs:
        print(f"\n## CPU accounting: reported minus the program's own getrusage, python, "
              f"load {os.getloadavg()[0]:.2f}\n")
        table(await accounting(backends, args.accounting_runs))

    if args.podman_rest:
        from tests.bench.bench_podman_rest import compare

        print("\n## podman, python hello world, the backend's options, CLI vs REST (interleaved)\n")
        results = await compare(args.runs or RUNS["python"] // 2, interleaved)
        rows = [("path", "n", "median ms", "p95 ms")]
        for path, values in results.items():
            rows.append((path, str(len(values)), f"{median(values):.1f}", p95(values)))
        table(rows)


if __name__ == "__main__":
    asyncio.run(main())
