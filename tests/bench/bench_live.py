"""Benchmark of the live layer: a simulated class over real WebSockets.

1 teacher + N students (default N = 30, 100, 200; 400 works too). Every student types 5
keystrokes a second into their document from one connection, as y-monaco sends them: a
Yjs update and an awareness update (the cursor) per keystroke; a second connection to
the same document (a second tab) and the teacher's monitor (/ws/sessions/{id}/,
coalesced previews) receive. Observer runs on its server (observer.server: uvicorn) with Redis (started here, loopback
only, one fresh set of 1, 2, 4... processes per N), beside, with the same client load in
the same run:
- the Yjs reference server (Node, the stock `@y/websocket-server`, installed by this
  folder's package-lock.json: `npm ci --prefix tests/bench`);
- the Python ecosystem's reference, JupyterLab's collaboration server: pycrdt-websocket's
  WebsocketServer on uvicorn, a room per path, in memory (requirements-dev.txt);
- a bare `websockets` relay.
The two y-protocols servers have no teacher view: there the teacher is a third socket on
every document, as a Yjs teacher view would be.

Printed per N: p50/p99 latency keystroke -> second client and keystroke -> teacher
(Observer: the first preview that contains the keystroke, so the coalescing interval is
included), messages per second through the server, server CPU (and per keystroke: the
servers' CPU time over the keystrokes typed in the window), memory per connected student
(idle: what each student adds once the first ones warmed the server up; and all of the
growth after typing), and whether it kept up, on both paths:
every keystroke typed in the window arrived (at the second tab; in some teacher preview;
the missing ones are counted), and on neither path is the median latency of the last
quarter of the run a multiple of the first quarter's (no backlog). The client is one
process: its CPU and how late its event loop wakes (lag p99) are printed, with a warning
where it could not keep up. So are the load average and what the rest of the machine
used: on a shared machine, other work skews the numbers. --priority -10 runs the servers
and the client ahead of other work of the same session only: with the kernel's autogroups
(/proc/sys/kernel/sched_autogroup_enabled) each session is scheduled as a group first.

    python tests/bench/bench_live.py                 # N = 30 100 200, 10 s each
    python tests/bench/bench_live.py --students 200 400 --processes 1 2 4 --seconds 20
    python tests/bench/bench_live.py --servers observer pycrdt --students 100
    python tests/bench/bench_live.py --database postgres://postgres@127.0.0.1:5432/bench  # production's database

Needs: Redis at --redis (default redis://127.0.0.1:6379/5), requirements-dev.txt
(websockets and uvloop for the client, pycrdt-websocket and uvicorn for that server),
bubblewrap not needed (no runs), node (for the reference server). Uses a throwaway
SQLite file unless --database names an (existing, empty or migrated) PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.e2e.server import SERVER  # noqa: E402  (the server as every launcher starts it)

KEYSTROKES_PER_SECOND = 5


# --- the servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(workdir: Path, redis_url: str, database: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({
        "DATABASE_URL": database or f"sqlite:///{workdir / 'bench.sqlite3'}", "REDIS_URL": redis_url,
        "BENCH_WORKDIR": str(workdir),
        "DJANGO_ENV": "development", "DJANGO_DEBUG": "false", "LOG_LEVEL": "WARNING",
        "CHANNEL_PREFIX": f"bench{os.getpid()}", "CACHE_PREFIX": f"bench{os.getpid()}",
        "SANDBOX_BACKEND": "fake", "RATELIMIT_ENABLE": "false", "PYTHONPATH": str(ROOT),
    })
    return env


async def wait_port(port: int, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


PRIORITY: list[str] = []  # ["nice", "-n", "-10"] with --priority: servers ahead of their session's other work


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    log = open(Path(env["BENCH_WORKDIR"]) / f"server-{port}.log", "wb")
    # BENCH_SERVER: another launcher (a profiler, a debug loop) in place of `-m observer.server`.
    launcher = os.environ["BENCH_SERVER"].split() if os.environ.get("BENCH_SERVER") else [*SERVER]
    return subprocess.Popen(
        [*PRIORITY, sys.executable, *launcher, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


YJS_SERVER = Path(__file__).resolve().parent / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"


def start_yjs(port: int) -> subprocess.Popen[bytes]:
    """The Yjs reference server as its package ships it (rooms in memory, no persistence)."""
    if not YJS_SERVER.exists():
        raise SystemExit("the Yjs reference server is not installed: npm ci --prefix tests/bench")
    return subprocess.Popen([*PRIORITY, "node", str(YJS_SERVER)], env={**os.environ, "HOST": "127.0.0.1",
                            "PORT": str(port)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_relay(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*PRIORITY, sys.executable, __file__, "--relay", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_pycrdt(port: int) -> subprocess.Popen[bytes]:
    try:
        import pycrdt.websocket  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise SystemExit("pycrdt-websocket or uvicorn is not installed: scripts/install --test") from None
    # Its log (what the exception handler caught) beside the Observer servers' logs: --keep-logs keeps it.
    log = open(Path(os.environ.get("BENCH_WORKDIR") or tempfile.gettempdir()) / f"pycrdt-{port}.log", "wb")
    return subprocess.Popen([*PRIORITY, sys.executable, __file__, "--pycrdt", str(port)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)


async def pycrdt_main(port: int) -> None:
    """The Python ecosystem's reference (JupyterLab's collaboration server): pycrdt-websocket's
    WebsocketServer behind its own ASGI app, on uvicorn, a room per path, in memory (no
    store). Set up as its documentation shows, with the exception handler Jupyter passes
    (a client that goes away must not stop its room)."""
    import logging

    import uvicorn
    from pycrdt.websocket import ASGIServer, WebsocketServer, exception_logger

    logging.basicConfig(level=logging.WARNING)
    websocket_server = WebsocketServer(exception_handler=exception_logger)
    config = uvicorn.Config(ASGIServer(websocket_server), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    async with websocket_server:
        await uvicorn.Server(config).serve()


async def relay_main(port: int) -> None:
    """The bare baseline: relays each message to the other sockets of the same path,
    and to the sockets on /all (the teacher)."""
    import websockets

    rooms: dict[str, set[Any]] = {}

    async def handler(ws: Any) -> None:
        path = ws.request.path
        rooms.setdefault(path, set()).add(ws)
        try:
            async for message in ws:
                for other in list(rooms.get(path, ())):
                    if other is not ws:
                        await other.send(message)
                for teacher in list(rooms.get("/all", ())):
                    await teacher.send(message)
        finally:
            rooms[path].discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port, max_size=None, compression=None):
        await asyncio.Future()


def rss_kb(pids: list[int]) -> int:
    import psutil

    return sum(psutil.Process(p).memory_info().rss for p in pids) // 1024


def cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


def busy() -> tuple[float, float]:
    """CPU seconds of the whole machine, all cores: spent on work, and taken by the
    hypervisor for other machines (steal)."""
    import psutil

    times = psutil.cpu_times()
    steal = getattr(times, "steal", 0.0)
    # user already includes guest and guest_nice.
    idle = times.idle + getattr(times, "iowait", 0.0)
    return sum(times) - idle - steal - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0), steal


# --- the class ---------------------------------------------------------------------------------


@dataclass
class Fixture:
    teacher_token: str
    session_id: str
    students: list[tuple[str, str]]  # (document id, guest token)


def make_fixture(env: dict[str, str], n: int) -> Fixture:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "observer.settings"
    import django

    django.setup()
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Role, User
    from accounts.tokens import GuestToken
    from sessions.models import ClassSession, Document, Participant

    teacher = User.objects.create(username=f"bench-teacher-{time.time_ns()}", role=Role.TEACHER)
    session = ClassSession.objects.create(teacher=teacher, title="bench", language="python", state="live",
                                          join_code=f"B{random.randrange(10**5):05d}", max_participants=n)
    students = []
    for i in range(n):
        participant = Participant.objects.create(session=session, display_name=f"student {i}", is_guest=True)
        document = Document.objects.create(participant=participant, name="main.py", content="")
        token = GuestToken.for_participant(participant_id=str(participant.pk), session_id=str(session.pk),
                                           display_name=participant.display_name)
        students.append((str(document.pk), str(token)))
    return Fixture(str(AccessToken.for_user(teacher)), str(session.pk), students)


@dataclass
class Stats:
    second: list[tuple[float, float]] = field(default_factory=list)  # (sent at, latency)
    preview: list[tuple[float, float]] = field(default_factory=list)
    sent: int = 0
    received: int = 0
    expected_second: int = 0
    typed_in_window: int = 0  # keystrokes (not frames) sent in the window
    lag: list[float] = field(default_factory=list)  # the client's event loop late for a timer, in s


def clock_of(update: bytes, client: int) -> int:
    """Which keystroke of `client` a one-keystroke update carries: the update (v1) starts
    with `clients, structs, client, first clock`, and keystroke k has clock k - 1."""
    from sessions.live.protocol import ProtocolError, Reader

    reader = Reader(update)
    try:
        if reader.var_uint() < 1:
            return 0
        reader.var_uint()  # structs
        if reader.var_uint() != client:
            return 0
        return reader.var_uint() + 1
    except ProtocolError:
        return 0


def room_url(base: str, kind: str, document_id: str) -> str:
    path = {"observer": f"/ws/documents/{document_id}/", "yjs": f"/{document_id}",
            "pycrdt": f"/{document_id}"}.get(kind, f"/room/{document_id}")
    return base.rstrip("/") + path


# The servers with no teacher view of their own: the teacher watches every document through
# a third socket, as a Yjs teacher view would.
WATCHED = ("yjs", "pycrdt")


class Student:
    def __init__(self, base: str, document_id: str, token: str, kind: str, stats: Stats, window: list[float]):
        self.url = self.url_tab = room_url(base, kind, document_id)
        self.document_id = document_id
        self.token = token
        self.kind = kind
        self.observer = kind == "observer"
        self.syncing = kind in ("observer", *WATCHED)  # speaks y-protocols (a handshake first)
        self.stats = stats
        self.window = window
        self.sent_at: dict[int, float] = {}
        # Keystrokes already seen, per receiving socket: a keystroke counts once however
        # often it arrives (a resync may send it again).
        self.seen: dict[int, set[int]] = {}
        self.typed = 0
        self.client = 0
        self.name = "student"

    async def connect(self) -> None:
        import websockets
        from pycrdt import Doc

        kwargs: dict[str, Any] = {"max_size": None, "compression": None, "origin": "http://127.0.0.1"}
        if self.observer:
            kwargs["subprotocols"] = ["observer", f"bearer.{self.token}"]
        self.typer = await websockets.connect(self.url, **kwargs)
        self.tab = await websockets.connect(self.url_tab, **kwargs)
        self.watcher = await websockets.connect(self.url, **kwargs) if self.kind in WATCHED else None
        self.doc: Doc = Doc()
        self.client = self.doc.client_id
        if self.syncing:
            for ws in (self.typer, self.tab, self.watcher):
                if ws is not None:
                    await self._handshake(ws)

    async def _handshake(self, ws: Any) -> None:
        from sessions.live import protocol

        await ws.send(protocol.sync_step1(b"\x00"))
        got_step2 = False
        while not got_step2:
            raw = await ws.recv()
            if isinstance(raw, str):
                continue
            message = protocol.parse(raw)
            if message.sync_type == protocol.SYNC_STEP1:
                await ws.send(protocol.sync_step2(b"\x00\x00"))
            elif message.sync_type == protocol.SYNC_STEP2:
                got_step2 = True

    async def type_loop(self, stop: asyncio.Event) -> None:
        from pycrdt import Text

        from sessions.live import protocol

        text = self.doc.get("content", type=Text)
        await asyncio.sleep(random.random() / KEYSTROKES_PER_SECOND)
        period = 1 / KEYSTROKES_PER_SECOND
        next_at = time.monotonic()
        while not stop.is_set():
            before = self.doc.get_state()
            text.insert(len(text), "x")
            self.typed += 1
            update = self.doc.get_update(before)
            now = time.monotonic()
            self.sent_at[self.typed] = now
            await self.typer.send(protocol.sync_update(update))
            # y-monaco moves the cursor with every keystroke: an awareness update follows.
            cursor = json.dumps({"user": {"name": self.name, "color": "#30bced"},
                                 "cursor": {"anchor": self.typed, "head": self.typed}})
            await self.typer.send(protocol.awareness_message(
                protocol.encode_awareness([(self.client, self.typed, cursor)])))
            if self.window[0] <= now < self.window[1]:
                self.stats.sent += 2
                self.stats.expected_second += 1
                self.stats.typed_in_window += 1
            next_at += period
            await asyncio.sleep(max(0, next_at - time.monotonic()))

    async def tab_loop(self, ws: Any = None, into: list[tuple[float, float]] | None = None) -> None:
        from sessions.live import protocol

        samples = self.stats.second if into is None else into
        socket = ws or self.tab
        seen = self.seen.setdefault(id(socket), set())
        async for raw in socket:
            now = time.monotonic()
            self.stats.received += 1
            if isinstance(raw, str):
                continue
            message = protocol.parse(raw)
            if message.kind != protocol.MESSAGE_SYNC or message.sync_type == protocol.SYNC_STEP1:
                continue
            k = clock_of(message.payload, self.client)
            sent = self.sent_at.get(k)
            if sent is not None and k not in seen and self.window[0] <= sent < self.window[1]:
                seen.add(k)
                samples.append((sent, now - sent))

    async def drain_typer(self) -> None:
        async for _ in self.typer:
            pass


async def teacher_loop(ws: Any, students: dict[str, Student], stats: Stats, window: list[float], bare: bool) -> None:
    acked: dict[str, int] = {}
    async for raw in ws:
        now = time.monotonic()
        stats.received += 1
        if bare:  # the relay sends every keystroke to the teacher
            continue
        event = json.loads(raw)
        if event.get("type") != "preview":
            continue
        student = students.get(event["document_id"])
        if student is None:
            continue
        length = len(event["text"])
        for k in range(acked.get(student.document_id, 0) + 1, length + 1):
            sent = student.sent_at.get(k)
            if sent is not None and window[0] <= sent < window[1]:
                stats.preview.append((sent, now - sent))
        acked[student.document_id] = max(length, acked.get(student.document_id, 0))


async def lag_loop(stats: Stats, window: list[float], stop: asyncio.Event) -> None:
    """How late the client's event loop wakes a 10 ms timer: past a few ms the client is
    what delays the messages it receives (they wait in its sockets for the loop)."""
    while not stop.is_set():
        due = time.monotonic() + 0.01
        await asyncio.sleep(0.01)
        if window[0] <= due < window[1]:
            stats.lag.append(time.monotonic() - due)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_class(bases: list[str], fixture: Fixture, n: int, seconds: float, pids: list[int],
                    kind: str, spread: str = "document", first: int = 0) -> dict[str, Any]:
    """One class of `n` students, from fixture.students[first:]: every run of the hub
    gets documents nobody typed into yet (the preview accounting counts characters)."""
    import websockets

    observer = kind == "observer"
    stats = Stats()
    window = [float("inf"), float("inf")]
    # spread="document": a student's two tabs reach the same process (a load balancer
    # hashing on the document); "tab": the second tab always lands on another process.
    students = []
    for i, (d, t) in enumerate(fixture.students[first : first + n]):
        home = bases[i % len(bases)]
        student = Student(home, d, t, kind, stats, window)
        student.name = f"student {first + i}"  # as the browser does: the name the server knows
        other = home if spread == "document" else bases[(i + 1) % len(bases)]
        student.url_tab = room_url(other, kind, d)
        students.append(student)
    base = bases[0]
    rss_before = rss_kb(pids)
    teacher: Any = None
    if observer:
        from websockets.typing import Origin, Subprotocol

        teacher = await websockets.connect(
            f"{base}/ws/sessions/{fixture.session_id}/", max_size=None, compression=None,
            subprotocols=[Subprotocol("observer"), Subprotocol(f"bearer.{fixture.teacher_token}")],
            origin=Origin("http://127.0.0.1"))
    elif kind == "relay":
        teacher = await websockets.connect(f"{base}/all", max_size=None, compression=None)
    # The first students warm the servers up (lazy imports, thread pools, database
    # connections): the idle memory per student is what each one after them adds.
    warm = max(1, min(25, n // 5))
    await asyncio.gather(*(s.connect() for s in students[:warm]))
    await asyncio.sleep(1)
    rss_warm = rss_kb(pids)
    for i in range(warm, n, 25):
        await asyncio.gather(*(s.connect() for s in students[i : i + 25]))
    await asyncio.sleep(1)
    rss_connected = rss_kb(pids)
    stop = asyncio.Event()
    tasks = []
    if teacher is not None:
        tasks.append(asyncio.ensure_future(teacher_loop(teacher, {s.document_id: s for s in students}, stats,
                                                        window, not observer)))
    for s in students:
        tasks += [asyncio.ensure_future(s.type_loop(stop)), asyncio.ensure_future(s.tab_loop()),
                  asyncio.ensure_future(s.drain_typer())]
        if s.watcher is not None:
            tasks.append(asyncio.ensure_future(s.tab_loop(s.watcher, stats.preview)))
    tasks.append(asyncio.ensure_future(lag_loop(stats, window, stop)))
    warmup = 2.0
    start = time.monotonic()
    window[0], window[1] = start + warmup, start + warmup + seconds
    await asyncio.sleep(warmup)
    cpu0, received0, client0, machine0 = cpu_seconds(pids), stats.received, cpu_seconds([os.getpid()]), busy()
    await asyncio.sleep(seconds)
    cpu1, received1, client1, machine1 = cpu_seconds(pids), stats.received, cpu_seconds([os.getpid()]), busy()
    stop.set()
    await asyncio.sleep(1.5)  # what was sent in the window may still arrive
    rss_after = rss_kb(pids)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            print(f"client task failed: {task.exception()!r}", file=sys.stderr)
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for s in students:
        await s.typer.close()
        await s.tab.close()
        if s.watcher is not None:
            await s.watcher.close()
    if teacher is not None:
        await teacher.close()
    to_second = [lat for _, lat in stats.second]
    quarter = seconds / 4

    def drifted(samples: list[tuple[float, float]]) -> bool:
        """A backlog built: the last quarter's median latency is a multiple of the first's."""
        early = [lat for sent, lat in samples if sent < window[0] + quarter]
        late = [lat for sent, lat in samples if sent >= window[1] - quarter]
        return not pct(late, 0.5) <= max(3 * pct(early, 0.5), 20)
    if os.environ.get("BENCH_DUMP"):  # raw (sent at, latency) pairs, to look for stalls
        dump = Path(os.environ["BENCH_DUMP"] + f"-{kind}")
        dump.write_text(json.dumps({"second": stats.second, "window": window}))
    delivered = len(stats.second) / max(1, stats.expected_second)
    previewed = len(stats.preview) / max(1, stats.typed_in_window) if kind != "relay" else 1.0
    kept_second = delivered > 0.99 and not drifted(stats.second)
    kept_preview = kind == "relay" or (previewed > 0.99 and not drifted(stats.preview))
    server_cpu, client_cpu = cpu1 - cpu0, client1 - client0
    machine_cpu, steal = machine1[0] - machine0[0], machine1[1] - machine0[1]
    return {
        "n": n, "second_p50": pct(to_second, 0.5), "second_p99": pct(to_second, 0.99),
        "preview_p50": pct([lat for _, lat in stats.preview], 0.5),
        "preview_p99": pct([lat for _, lat in stats.preview], 0.99),
        "msgs_per_s": (received1 - received0 + stats.sent) / seconds,
        "cpu_pct": 100 * (cpu1 - cpu0) / seconds,
        "cpu_ms_per_keystroke": 1000 * (cpu1 - cpu0) / max(1, stats.typed_in_window),
        "client_cpu_pct": 100 * client_cpu / seconds,
        "client_lag_p99": pct(stats.lag, 0.99),
        # What the rest of the machine (other work, this run's Redis and PostgreSQL) used
        # of its cores in the window, in % of one core.
        "others_cpu_pct": 100 * max(0.0, machine_cpu - server_cpu - client_cpu) / seconds,
        "machine_busy_pct": 100 * machine_cpu / seconds / (os.cpu_count() or 1),
        "steal_pct": 100 * steal / seconds,
        "load": os.getloadavg()[0],
        # Connected and idle (after the handshakes, before any typing; past the first
        # students), and the most after typing (all of the growth over all students).
        "mem_idle_kb": (rss_connected - rss_warm) / max(1, n - warm),
        "mem_per_student_kb": (max(rss_connected, rss_after) - rss_before) / n,
        "delivered": delivered, "previewed": previewed,
        "missing_second": stats.expected_second - len(stats.second),
        "missing_preview": stats.typed_in_window - len(stats.preview) if kind != "relay" else 0,
        # Keeping up, on both paths: everything arrived and no backlog built.
        "kept_up": kept_second and kept_preview,
        "kept_second": kept_second, "kept_preview": kept_preview,
    }


async def bench(args: argparse.Namespace, env: dict[str, str], fixture: Fixture) -> list[dict[str, Any]]:
    rows = []
    used = 0  # students (documents) already typed into by an earlier run
    for n in args.students:
        for processes in args.processes if "observer" in args.servers else []:
            ports = [free_port() for _ in range(processes)]
            servers = [start_server(env, port) for port in ports]
            try:
                for port in ports:
                    await wait_port(port)
                await asyncio.sleep(1)
                bases = [f"ws://127.0.0.1:{port}" for port in ports]
                row = await run_class(bases, fixture, n, args.seconds, [p.pid for p in servers], "observer",
                                      args.spread, first=used)
                used += n
                label = f"{processes} proc, tabs spread by {args.spread}" if processes > 1 else "1 proc"
                rows.append({"server": f"Observer, uvicorn + live hub ({label}, {args.db_label})", **row})
            finally:
                for server in servers:
                    server.terminate()
                for server in servers:
                    try:
                        server.wait(5)
                    except subprocess.TimeoutExpired:
                        server.kill()
                        server.wait(5)
        for kind, start, label in (("yjs", start_yjs, yjs_label()), ("pycrdt", start_pycrdt, pycrdt_label()),
                                   ("relay", start_relay, "bare websockets relay")):
            if kind not in args.servers:
                continue
            port = free_port()
            other = start(port)
            try:
                await wait_port(port)
                row = await run_class([f"ws://127.0.0.1:{port}"], fixture, n, args.seconds, [other.pid], kind,
                                      first=used)
                used += n
                rows.append({"server": label, **row})
            finally:
                other.terminate()
                other.wait(10)
        print_table(rows)
    return rows


def yjs_label() -> str:
    package = json.loads((YJS_SERVER.parents[1] / "package.json").read_text()) if YJS_SERVER.exists() else {}
    return f"Yjs reference server (Node, @y/websocket-server {package.get('version', '?')})"


def pycrdt_label() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"pycrdt-websocket {version('pycrdt-websocket')} on uvicorn {version('uvicorn')} (uvloop)"
    except PackageNotFoundError:
        return "pycrdt-websocket on uvicorn"


# Past these the bench's own client is what the latencies measure: its event loop woke
# late, or it used nearly all of a core (it is one process).
CLIENT_LAG_MS, CLIENT_CPU_PCT = 20.0, 85.0


def print_table(rows: list[dict[str, Any]]) -> None:
    head = ("| server | N | → 2nd client p50 / p99 | → teacher p50 / p99 | msgs/s | server CPU (per keystroke) "
            "| mem/student idle (after typing) | kept up | client CPU, loop lag p99 | others' CPU, steal, load |")
    print("\n" + head + "\n|---|---|---|---|---|---|---|---|---|---|")
    saturated = []
    for r in rows:
        bare = r["server"].startswith("bare")
        preview = "n/a (relays every keystroke)" if bare else (
            f"{r['preview_p50']:.1f} / {r['preview_p99']:.1f} ms")
        verdict = f"{100 * r['delivered']:.2f}% to 2nd client ({r['missing_second']} missing)" + ("" if bare else (
            f", {100 * r['previewed']:.2f}% previewed ({r['missing_preview']} missing)"
            + ("" if r["kept_up"] else f"; lagging: {'2nd client ' if not r['kept_second'] else ''}"
               f"{'preview' if not r['kept_preview'] else ''}")))
        print(f"| {r['server']} | {r['n']} | {r['second_p50']:.1f} / {r['second_p99']:.1f} ms | {preview} "
              f"| {r['msgs_per_s']:.0f} | {r['cpu_pct']:.0f}% ({r['cpu_ms_per_keystroke']:.2f} ms) "
              f"| {r['mem_idle_kb']:.0f} KB ({r['mem_per_student_kb']:.0f} KB) "
              f"| {'yes' if r['kept_up'] else 'NO'} ({verdict}) "
              f"| {r['client_cpu_pct']:.0f}%, {r['client_lag_p99']:.1f} ms "
              f"| {r['others_cpu_pct']:.0f}%, {r['steal_pct']:.0f}%, {r['load']:.1f} |")
        if r["client_lag_p99"] > CLIENT_LAG_MS or r["client_cpu_pct"] > CLIENT_CPU_PCT:
            saturated.append(f"{r['server']}, N = {r['n']}")
    if saturated:
        print(f"\nThe client could not keep up (loop lag p99 > {CLIENT_LAG_MS:.0f} ms or CPU > {CLIENT_CPU_PCT:.0f}% "
              f"of its core) in: {'; '.join(saturated)}. There the latencies include the client's own delay.")
    print("\nCPU in % of one core, over the measured window. others' CPU: the rest of the machine (other work, "
          "and Redis and PostgreSQL for Observer); steal: taken by the hypervisor. mem/student: the servers' RSS "
          "growth per student connected after the first fifth (at most 25), which warm the servers up; after typing: "
          "all of the growth over all students. 2 sockets per student for Observer (plus the teacher's one); 3 for "
          "the Yjs and pycrdt servers, whose teacher watches every document.")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[30, 100, 200])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, nargs="+", default=[1],
                        help="Observer server processes sharing Redis (several: one Observer row per count)")
    parser.add_argument("--servers", nargs="+", choices=["observer", "yjs", "pycrdt", "relay"],
                        default=["observer", "yjs", "pycrdt", "relay"])
    parser.add_argument("--database", default="",
                        help="a PostgreSQL URL (an existing database) instead of a throwaway SQLite file")
    parser.add_argument("--spread", choices=["document", "tab"], default="document",
                        help="with several processes: a student's tabs on one process, or on two")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5")
    parser.add_argument("--priority", type=int, default=0,
                        help="run the servers (and this client) at this nice level, e.g. -10: ahead of other "
                             "work of the same session (autogroups rank sessions first)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (and the database)")
    parser.add_argument("--relay", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--pycrdt", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:
        run = asyncio.run
    if args.relay:
        run(relay_main(args.relay))
        return
    if args.pycrdt:
        run(pycrdt_main(args.pycrdt))
        return
    if args.priority:
        PRIORITY[:] = ["nice", "-n", str(args.priority)]
        os.nice(args.priority)
    workdir = Path(tempfile.mkdtemp(prefix="observer-bench-"))
    try:
        env = server_env(workdir, args.redis, args.database)
        args.db_label = "PostgreSQL" if args.database.startswith("postgres") else "SQLite"
        runs = len(args.processes) * ("observer" in args.servers) + len(set(args.servers) - {"observer"})
        fixture = make_fixture(env, sum(args.students) * runs)
        run(bench(args, env, fixture))
    finally:
        if args.keep_logs:
            print(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
