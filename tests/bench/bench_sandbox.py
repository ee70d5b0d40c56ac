"""Sandbox benchmark: hello-world latency per backend and language beside the same
program run bare on the host, and sustained throughput with concurrent runners.

    python tests/bench/bench_sandbox.py                       # every available backend
    python tests/bench/bench_sandbox.py --backends bubblewrap --languages python --runs 50
    python tests/bench/bench_sandbox.py --podman-rest         # also podman-py over REST

"Start run to exit" is ``coding.runner.run_batch`` (compile step included) for the
backends, and the same compile and run commands as plain subprocesses for "bare".
Not a test: numbers depend on the machine; docs/sandbox.md records ours.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from coding import runner  # noqa: E402
from coding.languages import LANGUAGES, RUNTIMES_MOUNT, Language, expand_argv  # noqa: E402
from coding.sandbox import check_backend  # noqa: E402
from coding.sandbox.base import Status  # noqa: E402
from coding.sandbox.config import setting  # noqa: E402

RUNS = {"python": 40, "javascript": 20, "typescript": 5, "c": 10, "cpp": 8, "java": 8}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Bare:
    """The language's own compile and run commands as plain host processes."""

    def __init__(self, language: Language) -> None:
        self.language = language

    async def run(self) -> None:
        lang = self.language
        with tempfile.TemporaryDirectory() as work:
            build = os.path.join(work, "build")
            os.mkdir(build)
            Path(work, lang.entry_name).write_text(lang.hello)
            mapping = {"/build": build, RUNTIMES_MOUNT: str(setting("SANDBOX_RUNTIMES_DIR"))}

            def host(arg: str) -> str:
                for inside, outside in mapping.items():
                    if arg.startswith(inside):
                        return outside + arg[len(inside):]
                return arg

            limits = runner.default_limits(lang.name)
            for template in (lang.compile, lang.run):
                if template is None:
                    continue
                argv = expand_argv(template, language=lang, file_names=[lang.entry_name],
                                   entry=lang.entry_name, limits=limits)
                # The sandbox's clean environment (the host's may make runtimes slower,
                # e.g. NODE_EXTRA_CA_CERTS makes node load a CA bundle).
                env = {"PATH": "/usr/bin:/bin", "HOME": work, "LANG": "C.UTF-8", **lang.env}
                process = await asyncio.create_subprocess_exec(
                    *[host(a) for a in argv], cwd=work, stdin=subprocess.DEVNULL, env=env,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                )
                out, err = await process.communicate()
                if process.returncode != 0:
                    raise RuntimeError(f"bare {lang.name} failed: {err.decode()[-300:]}")


async def sandboxed(language: Language) -> None:
    result = await runner.run_batch(language=language.name,
                                    files=[(language.entry_name, language.hello)])
    if result.status != Status.OK:
        raise RuntimeError(f"{language.name}: {result.status} {result.message[-300:]}")


async def latency(fn: Callable[[], Awaitable[None]], runs: int) -> list[float]:
    await fn()  # warm caches (and the backend's one-time check)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def throughput(fn: Callable[[], Awaitable[None]], workers: int, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await fn()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return done / (time.perf_counter() - started)


def podman_rest_latency(runs: int) -> list[float] | str:
    """python3 hello via podman-py over the REST API (create, start, wait, logs, remove)."""
    try:
        import podman  # noqa: F401
        from podman import PodmanClient
    except ImportError:
        return "podman-py not installed"
    from coding.sandbox.podman import podman_env

    socket_path = Path(tempfile.mkdtemp()) / "podman.sock"
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket_path}"], env=podman_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if socket_path.exists():
                break
            time.sleep(0.05)
        client = PodmanClient(base_url=f"unix://{socket_path}")
        rootfs = str(setting("SANDBOX_PODMAN_ROOTFS"))

        def once() -> None:
            container = client.containers.create(
                image="", rootfs=rootfs, command=["/usr/bin/python3", "-c", "print(1)"],
                network_mode="none", read_only=True, user="65534:65534", cap_drop=["all"],
                mem_limit="256m", pids_limit=64,
                mounts=[{"type": "bind", "source": "/usr", "target": "/usr", "read_only": True}],
                ulimits=[{"Name": "nofile", "Soft": 256, "Hard": 256},
                         {"Name": "nproc", "Soft": 4096, "Hard": 4096}],
            )
            try:
                container.start()
                container.wait()
                output = b"".join(container.logs(stdout=True, stderr=False))
                if output.strip() != b"1":
                    raise RuntimeError(f"unexpected output {output!r}")
            finally:
                container.remove(force=True)

        once()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            once()
            times.append((time.perf_counter() - started) * 1000)
        return times
    except Exception as exc:  # noqa: BLE001 - report, do not crash the benchmark
        return f"failed: {exc}"
    finally:
        service.terminate()
        service.wait()
        shutil.rmtree(socket_path.parent, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backends", nargs="*", default=["bubblewrap", "podman"])
    parser.add_argument("--languages", nargs="*", default=list(LANGUAGES))
    parser.add_argument("--runs", type=int, default=0, help="runs per language (default: per language)")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput duration")
    parser.add_argument("--workers", type=int, default=2, help="concurrent runners for throughput")
    parser.add_argument("--podman-rest", action="store_true", help="also time podman-py over REST")
    args = parser.parse_args()

    print(f"# sandbox benchmark on {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    bare: dict[str, list[float]] = {}
    for name in args.languages:
        bare[name] = await latency(Bare(LANGUAGES[name]).run, args.runs or RUNS[name])
    rows = [("backend", "language", "median ms", "p95 ms", "bare median", "bare p95", "ratio")]
    throughputs: list[tuple[str, float]] = []
    for backend in args.backends:
        os.environ["OBSERVER_SANDBOX_BACKEND"] = backend
        _, ok, message = check_backend(backend, fresh=True)
        if not ok:
            print(f"# {backend}: unavailable ({message})")
            continue
        for name in args.languages:
            times = await latency(lambda n=name: sandboxed(LANGUAGES[n]), args.runs or RUNS[name])
            base = bare[name]
            rows.append((backend, name, f"{statistics.median(times):.1f}", f"{pct(times, 0.95):.1f}",
                         f"{statistics.median(base):.1f}", f"{pct(base, 0.95):.1f}",
                         f"{statistics.median(times) / statistics.median(base):.2f}x"))
        if "python" in args.languages:
            rate = await throughput(lambda: sandboxed(LANGUAGES["python"]), args.workers, args.seconds)
            throughputs.append((backend, rate))
    if args.podman_rest:
        rest = podman_rest_latency(args.runs or 10)
        if isinstance(rest, str):
            print(f"# podman REST: {rest}")
        else:
            base = bare["python"]
            rows.append(("podman-rest", "python", f"{statistics.median(rest):.1f}", f"{pct(rest, 0.95):.1f}",
                         f"{statistics.median(base):.1f}", f"{pct(base, 0.95):.1f}",
                         f"{statistics.median(rest) / statistics.median(base):.2f}x"))

    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print("\n## hello world, start of run to exit\n")
    for index, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    if throughputs:
        bare_rate = await throughput(Bare(LANGUAGES["python"]).run, args.workers, args.seconds)
        print(f"\n## python hello world throughput, {args.workers} concurrent runners, {args.seconds:g} s\n")
        print("| runner | runs/s | vs bare |\n|---|---|---|")
        print(f"| bare | {bare_rate:.1f} | 100% |")
        for backend, rate in throughputs:
            print(f"| {backend} | {rate:.1f} | {100 * rate / bare_rate:.0f}% |")


if __name__ == "__main__":
    asyncio.run(main())
