"""The warm pool: bubblewrap sandboxes started before anyone asks for them.

A cold sandbox costs more than Python's own start-up here (user, pid, network, ipc,
uts and mount namespaces, a cgroup, the mounts). The pool moves that off the run's
critical path: for each kind of step (:class:`~coding.sandbox.warm_step.PoolKey`)
recently asked for, it keeps ``SANDBOX_WARM_POOL`` sandboxes fully made (cgroup with
limits and bwrap in it, rlimits, every namespace and mount, the launcher waiting), and
a run claims one instead of starting cold. Isolation is the cold sandbox's exactly:
same options and filter, a host uid of its own (held from its making to its end); at
claim the run's own limits are written to the cgroup and the launcher lowers the
rlimits to the run's; the cgroup's CPU, OOM and peak counters
restart, so nothing of the sandbox's start-up is reported as the program's. A warm
sandbox serves one run, then is swept like a cold one.

A worker thread makes sandboxes (forking from the long-lived spawn threads, so bwrap's
--die-with-parent follows the server), never on the event loop, and not while this
process runs ``SANDBOX_WARM_POOL_BUSY`` steps. An idle sandbox older than
``SANDBOX_WARM_POOL_IDLE_SECONDS`` is destroyed, and a kind of step nobody asked for in
that time is not refilled. No launcher, no cgroups or ``SANDBOX_WARM_POOL = 0``: no
pool, every run starts cold. Claims are thread-safe (any event loop may claim).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from coding.sandbox.base import SandboxError, StepSpec
from coding.sandbox.bubblewrap import base_env
from coding.sandbox.config import setting
from coding.sandbox.spawn import spawner
from coding.sandbox.warm_step import PoolKey, WarmStep, encode_request, fits, load_launcher, pool_key

if TYPE_CHECKING:
    from coding.sandbox.bubblewrap import BubblewrapBackend, BubblewrapStep

log = logging.getLogger(__name__)
_READY_SECONDS = 10.0


class WarmPool:
    def __init__(self, backend: BubblewrapBackend) -> None:
        self.backend = backend
        self.running = 0  # steps of this backend started and not yet swept
        self._cond = threading.Condition()
        self._work = threading.Lock()  # held while the worker makes or destroys sandboxes
        self._idle: dict[PoolKey, list[WarmStep]] = {}
        self._wanted: dict[PoolKey, tuple[StepSpec, float]] = {}  # template, last asked
        self._doomed: list[WarmStep] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failures = 0
        self._retry_at = 0.0
        self.last_error = ""
        self._launcher: int | None = None
        self._launcher_problem: str | None = None
        atexit.register(self.close)

    # -- state -------------------------------------------------------------------------

    @staticmethod
    def size() -> int:
        return max(0, int(setting("SANDBOX_WARM_POOL")))

    def _launcher_fd(self) -> int | None:
        with self._cond:
            if self._launcher is None and self._launcher_problem is None:
                path = Path(str(setting("SANDBOX_LAUNCHER")))
                try:
                    if not self.backend.helper:
                        raise OSError(f"missing, or writable by others than root and {os.geteuid()}")
                    self._launcher = load_launcher(path)
                except OSError as exc:
                    self._launcher_problem = (
                        f"no usable launcher at {path} ({exc.strerror or exc}); scripts/install builds it"
                    )
            return self._launcher

    def problem(self) -> str | None:
        """Why the pool is off, or None when it works."""
        if self.size() == 0:
            return "SANDBOX_WARM_POOL = 0"
        if self._closed:
            return "closed"
        if self.backend.cgroups.mode == "none":
            return "it needs cgroups"
        if self._launcher_fd() is None:
            return self._launcher_problem
        return None

    def describe(self) -> str:
        problem = self.problem()
        if problem is not None:
            return f"warm pool off: {problem}"
        return f"warm pool of {self.size()} sandboxes per kind of step"

    def count(self, step: BubblewrapStep) -> None:
        """``step`` runs now; it is counted until it has been swept."""
        with self._cond:
            self.running += 1
        step.on_done = self._step_done

    def _step_done(self) -> None:
        with self._cond:
            self.running -= 1
            self._cond.notify_all()

    # -- claiming (any event loop) -------------------------------------------------------

    async def claim(self, spec: StepSpec) -> WarmStep | None:
        """A warm sandbox started on ``spec``'s run, or None (start it cold)."""
        key = pool_key(spec)
        if key is None or self.problem() is not None:
            return None
        rlimits = self.backend.rlimits(spec, cgroups=True)
        try:
            # bwrap's --chdir sets PWD for a cold sandbox's program; the launcher's gets it here.
            request = encode_request(spec.files, spec.argv, {**base_env(spec), "PWD": "/work"}, rlimits)
        except ValueError:
            return None
        while (step := self._take(key, spec, rlimits)) is not None:
            try:
                if not step.idle_alive():
                    raise OSError("it died while idle")
                assert step.cgroup is not None
                step.cgroup.write_limits(spec.limits, self.backend.cpu_quota(spec))
                step.cgroup.restart_accounting()
            except OSError as exc:
                log.warning("warm sandbox %s unusable (%s); trying another", step.pid, exc)
                self._discard(step)
                continue
            self.count(step)
            step.begin(spec.rows, spec.cols)
            try:
                await asyncio.get_running_loop().sock_sendall(step.control, request)
                step.control.shutdown(socket.SHUT_WR)  # the launcher reads to here, no further
            except BaseException as exc:
                step.kill()
                with contextlib.suppress(Exception):
                    await asyncio.shield(step.wait())
                if not isinstance(exc, OSError):
                    raise
                log.warning("warm sandbox %s did not take its run (%s)", step.pid, exc)
                continue
            return step
        return None

    def _take(self, key: PoolKey, spec: StepSpec, rlimits: list[tuple[int, int, int]]) -> WarmStep | None:
        with self._cond:
            idle = self._idle.get(key, [])
            taken = next((i for i, step in enumerate(idle) if fits(rlimits, step.made_rlimits)), None)
            step = idle.pop(taken) if taken is not None else None
            self._want(key, spec, wake=False)
            return step  # the oldest that fits: none idles until it expires

    def _want(self, key: PoolKey, spec: StepSpec, *, wake: bool) -> StepSpec:
        """(Locked.) ``key`` was asked for now: keep it filled for a while. The worker
        refills once a step ends (``wake``: now), not while the claimed run starts,
        whose CPU it would take. New sandboxes are made from a template with the latest
        run's layout and cgroup limits and the highest CPU-seconds and open-files limits
        asked for: a launcher can lower its rlimits to any run's, never raise them.
        Idle sandboxes made below that are doomed."""
        previous = self._wanted.get(key)
        limits = spec.limits
        if previous is not None:
            old = previous[0].limits
            limits = limits.replace(cpu_seconds=max(old.cpu_seconds, limits.cpu_seconds),
                                    open_files=max(old.open_files, limits.open_files))
        template = dataclasses.replace(spec, files=(), argv=(), env={}, limits=limits)
        self._wanted[key] = (template, time.monotonic())
        rlimits = self.backend.rlimits(template, cgroups=True)
        idle = self._idle.get(key, [])
        self._doomed += [step for step in idle if not fits(rlimits, step.made_rlimits)]
        self._idle[key] = [step for step in idle if fits(rlimits, step.made_rlimits)]
        if (self._thread is None or not self._thread.is_alive()) and not self._closed:
            self._thread = threading.Thread(target=self._work_loop, name="sandbox-warm-pool", daemon=True)
            self._thread.start()
        if wake:
            self._cond.notify_all()
        return template

    def _discard(self, step: WarmStep) -> None:
        with self._cond:
            self._doomed.append(step)
            self._cond.notify_all()

    # -- the worker ----------------------------------------------------------------------

    def _work_loop(self) -> None:
        while not self._work_once():
            pass

    def _work_once(self) -> bool:
        """One round of the worker: destroy what is doomed or make one sandbox; True
        once closed. An unexpected error is logged and the worker goes on."""
        try:
            with self._cond:
                while True:
                    if self._closed and not self._doomed:
                        return True
                    now = time.monotonic()
                    self._expire(now)
                    job = None if self._doomed else self._next_job(now)
                    if self._doomed or job is not None:
                        break
                    self._cond.wait(self._next_deadline(now))
            with self._work:
                while True:
                    with self._cond:
                        if not self._doomed:
                            break
                        step = self._doomed[0]
                    self._destroy(step)  # never raises; only then is it off the list
                    with self._cond:
                        self._doomed.remove(step)
                with self._cond:  # a drain may have come first
                    wanted = job is not None and job[0] in self._wanted and not self._closed
                if job is not None and wanted:
                    self._fill_one(*job)
        except Exception:
            log.exception("warm pool worker")
            time.sleep(1.0)
        return False

    def _next_job(self, now: float) -> tuple[PoolKey, StepSpec] | None:
        size = self.size()
        if size == 0 or self._closed or now < self._retry_at:
            return None
        if self.running >= int(setting("SANDBOX_WARM_POOL_BUSY")):
            return None  # the machine is busy with runs; their turn first
        horizon = float(setting("SANDBOX_WARM_POOL_IDLE_SECONDS"))
        for key, (template, asked) in list(self._wanted.items()):
            if now - asked > horizon:
                del self._wanted[key]  # replaced lazily: when it is asked for again
            elif len(self._idle.get(key, ())) < size:
                return key, template
        return None

    def _expire(self, now: float) -> None:
        horizon = float(setting("SANDBOX_WARM_POOL_IDLE_SECONDS"))
        size = self.size()
        for key, idle in list(self._idle.items()):
            keep = [step for step in idle if now - step.made < horizon][:size]
            self._doomed += [step for step in idle if step not in keep]
            self._idle[key] = keep

    def _next_deadline(self, now: float) -> float | None:
        horizon = float(setting("SANDBOX_WARM_POOL_IDLE_SECONDS"))
        times = [step.made + horizon for idle in self._idle.values() for step in idle]
        if self._retry_at > now:
            times.append(self._retry_at)
        return max(0.01, min(times) - now) if times else None

    def _fill_one(self, key: PoolKey, template: StepSpec) -> None:
        try:
            step: WarmStep | None = spawner().submit(self._make, key, template).result()
        except Exception as exc:  # noqa: BLE001 - logged; runs start cold meanwhile
            step = None
            self.last_error = str(exc)
            log.warning("cannot make a warm sandbox: %s", exc)
        with self._cond:
            if step is None:
                self._failures += 1
                self._retry_at = time.monotonic() + min(60.0, 0.5 * 2 ** self._failures)
            else:
                self._failures = 0
                wanted = self._wanted.get(key)
                if self._closed or wanted is None or not fits(
                    self.backend.rlimits(wanted[0], cgroups=True), step.made_rlimits
                ):  # not wanted any more, or the template moved up while it was made
                    self._doomed.append(step)
                else:
                    self._idle.setdefault(key, []).append(step)
            self._cond.notify_all()

    def _make(self, key: PoolKey, template: StepSpec) -> WarmStep:
        """Blocking, in a spawn thread: one warm sandbox for ``template``'s kind of step."""
        backend, exe = self.backend, self._launcher_fd()
        assert exe is not None
        ours, theirs = socket.socketpair()
        status_r, status_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        os.set_blocking(status_w, True)
        group = slot = None
        filter_fd = -1
        try:
            slot = backend.claim_uid()  # the sandbox's own host uid, from now until it is gone
            filter_fd = backend.filter.memfd()
            options = backend.build_options(template, [], status_w, filter_fd, env=False)
            group = backend.create_cgroup(template)
            program = (f"/proc/self/fd/{exe}", str(theirs.fileno()))
            plan = backend.plan(template, options=options, program=program,
                                pass_fds=(status_w, exe, theirs.fileno(), filter_fd), group=group,
                                slot=slot)
            step = WarmStep(plan, status_r, ours, key, backend.rlimits(template, cgroups=True))
            step.slot = slot
            step.host_uid = slot.uid if slot is not None else None
        except BaseException:
            ours.close()
            theirs.close()
            os.close(status_r)
            os.close(status_w)
            if filter_fd >= 0:
                os.close(filter_fd)
            if slot is not None:
                slot.release()
            if group is not None:
                group.remove_blocking()
            raise
        try:
            step.pid = step.spawn_blocking()
        except BaseException:
            step.destroy_blocking()
            raise
        finally:
            theirs.close()
            os.close(status_w)
            os.close(filter_fd)
        problem = step.wait_ready(_READY_SECONDS)
        if problem:
            step.destroy_blocking()
            raise SandboxError(problem)
        if step.cgroup is not None:
            step.cgroup.prime()
        return step

    @staticmethod
    def _destroy(step: WarmStep) -> None:
        try:
            step.destroy_blocking()
        except Exception:  # the startup sweep removes what is left
            log.exception("could not destroy warm sandbox %s", step.pid)

    # -- tests, shutdown ---------------------------------------------------------------------

    def fill(self, template: StepSpec, *, timeout: float = 30.0) -> int:
        """Blocking: have the pool hold its full number of sandboxes of ``template``'s
        kind now; how many are idle (0 when the pool is off)."""
        key = pool_key(template)
        if key is None or self.problem() is not None:
            return 0
        deadline = time.monotonic() + timeout
        with self._cond:
            failures = self._failures
            self._retry_at = 0.0
            rlimits = self.backend.rlimits(self._want(key, template, wake=True), cgroups=True)
            while sum(fits(rlimits, step.made_rlimits) for step in self._idle.get(key, ())) < self.size():
                if self._failures > failures:
                    raise SandboxError(f"cannot make a warm sandbox: {self.last_error}")
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise SandboxError("the warm pool did not fill in time")
            return len(self._idle[key])

    def has_fitting(self, spec: StepSpec) -> bool:
        """Whether an idle sandbox could take ``spec``'s run right now."""
        key = pool_key(spec)
        if key is None or self.problem() is not None:
            return False
        rlimits = self.backend.rlimits(spec, cgroups=True)
        with self._cond:
            return any(fits(rlimits, step.made_rlimits) for step in self._idle.get(key, ()))

    @contextlib.contextmanager
    def quiesced(self) -> Iterator[tuple[list[WarmStep], list[WarmStep]]]:
        """While held, no sandbox is being made or destroyed; yields the idle ones and
        those doomed but not destroyed yet (expired, outdated, found broken: never used)."""
        with self._work, self._cond:
            yield [step for idle in self._idle.values() for step in idle], list(self._doomed)

    def drain(self) -> None:
        """Blocking: destroy every idle sandbox now and forget what was asked for."""
        with self._work:
            with self._cond:
                self._wanted.clear()
                self._doomed += [step for idle in self._idle.values() for step in idle]
                self._idle.clear()
                doomed = list(self._doomed)
            for step in doomed:
                self._destroy(step)
            with self._cond:
                self._doomed = [step for step in self._doomed if step not in doomed]

    def close(self) -> None:
        """Stop for good (the backend is dropped, or the server exits)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self.drain()
