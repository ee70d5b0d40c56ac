"""Which server process holds which participants' live connections, so that the
connections of a process that died (killed, crashed, its machine gone) stop counting
(`Participant.connections` would otherwise keep them online forever). The same
liveness tells whether the process that owns a run still runs it (`is_alive`).

With REDIS_URL every process keeps, in Redis, a ledger (participant -> connections it
counted, written on every change) and an `alive` key it refreshes every
LIVE_PRESENCE_HEARTBEAT_SECONDS (expiring after three). Any process finding a ledger
whose owner is no longer alive claims it (SREM: exactly one process wins), takes its
counts off the database and sends `presence` offline for whoever that leaves with
none. A process that finds it was swept while alive (its event loop stalled past the
expiry) puts its counts back.

Without Redis there is one server process: the first connection it counts resets the
counts a previous process left behind.

Synchronous (Redis and the ORM): call through database_sync_to_async.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable

from observer import liveness
from observer.liveness import PROCESS, is_alive

__all__ = ["PROCESS", "before_first_count", "change", "claim_dead", "ensure_registered", "heartbeat", "held",
           "is_alive", "stopped"]

logger = logging.getLogger("observer.live")
_lock = threading.Lock()
_held: Counter[uuid.UUID] = Counter()
_registered_in: str | None = None  # the Redis namespace this process registered in
_reset_done = False
_url = liveness.redis_url
_redis = liveness.redis_client


def _keys(process: str = PROCESS) -> tuple[str, str, str]:
    prefix = liveness.key_prefix()
    return f"{prefix}:processes", liveness.alive_key(process), f"{prefix}:ledger:{process}"


def _swept_key(process: str = PROCESS) -> str:
    """Left by the process that swept `process`: only then were its counts taken off."""
    return f"{liveness.key_prefix()}:swept:{process}"


def _ttl() -> int:
    return liveness.alive_ttl()


def held() -> dict[uuid.UUID, int]:
    with _lock:
        return {k: n for k, n in _held.items() if n > 0}


def before_first_count(reset: Callable[[], None]) -> None:
    """Called before this process counts a connection: registers it (Redis), or, without
    Redis, lets `reset` clear what a previous process left."""
    global _reset_done
    if _url():
        _register()
    elif not _reset_done:
        with _lock:
            if _reset_done:
                return
            _reset_done = True
        reset()


def ensure_registered() -> None:
    """Make this process known as alive (for whatever it owns: its connections, its runs)."""
    if _url():
        _register()


def _register() -> None:
    global _registered_in
    processes, alive, _ = _keys()
    if _registered_in == processes:
        return
    try:
        pipe = _redis().pipeline()
        pipe.set(alive, "1", ex=_ttl()).sadd(processes, PROCESS)
        pipe.execute()
        _registered_in = processes
    except Exception:
        logger.warning("could not register this process's live connections in Redis", exc_info=True)


def change(participant_id: uuid.UUID, delta: int) -> bool:
    """Record that this process counted (+1) or uncounted (-1) a connection; False when
    it holds none to uncount (already taken off, by `stopped` or a sweep)."""
    with _lock:
        before = _held.get(participant_id, 0)
        if before + delta < 0:
            return False
        count = before + delta
        if count:
            _held[participant_id] = count
        else:
            _held.pop(participant_id, None)
    if not _url():
        return True
    ledger = _keys()[2]
    try:
        if count:
            _redis().hset(ledger, str(participant_id), count)
        else:
            _redis().hdel(ledger, str(participant_id))
    except Exception:  # rewritten whole at the next heartbeat
        logger.warning("could not record a live connection in Redis", exc_info=True)
    return True


def heartbeat(*, put_back: Callable[[dict[uuid.UUID, int]], None]) -> None:
    """Keep this process alive in Redis and its ledger exact; `put_back` re-adds the
    counts if another process swept this one meanwhile."""
    if not _url() or _registered_in != _keys()[0]:
        return
    processes, alive, ledger = _keys()
    counts = held()
    try:
        pipe = _redis().pipeline()
        pipe.set(alive, "1", ex=_ttl()).sadd(processes, PROCESS).get(_swept_key()).delete(_swept_key(), ledger)
        if counts:
            pipe.hset(ledger, mapping={str(k): n for k, n in counts.items()})
        results = pipe.execute()
    except Exception:
        logger.warning("could not refresh this process's live connections in Redis", exc_info=True)
        return
    # Missing from the set, either swept (a sweeper took the counts off the database
    # and left its mark) or Redis lost its data (a restart without persistence:
    # nobody took anything off, and putting the counts back would count them twice).
    was_swept = results[1] == 1 and results[2] is not None
    if results[1] == 1 and not was_swept:
        logger.warning("Redis had forgotten this process (restarted?); registered it again")
    if was_swept and counts:
        logger.warning("this process was taken for dead; putting its %d connections back", sum(counts.values()))
        put_back(counts)


def claim_dead() -> list[dict[uuid.UUID, int]]:
    """The ledgers of dead processes, each claimed by this process alone (and removed)."""
    if not _url():
        return []
    processes = _keys()[0]
    claimed = []
    try:
        client = _redis()
        for raw in client.smembers(processes):
            process = raw.decode()
            _, alive, ledger = _keys(process)
            if process == PROCESS or client.exists(alive):
                continue
            if not client.srem(processes, process):
                continue  # another process claimed it first
            counts = client.hgetall(ledger)
            # Lasts long enough for a stalled process to come back and see it.
            client.pipeline().set(_swept_key(process), "1", ex=max(3600, 100 * _ttl())).delete(ledger).execute()
            claimed.append({uuid.UUID(k.decode()): int(v) for k, v in counts.items()})
    except Exception:
        logger.warning("could not look for dead processes' live connections", exc_info=True)
    return claimed


def stopped() -> dict[uuid.UUID, int]:
    """This process is shutting down: its counts (to take off), and its ledger removed."""
    global _registered_in
    counts = held()
    with _lock:
        _held.clear()
    if _url() and _registered_in is not None:
        processes, alive, ledger = _keys()
        try:
            _redis().pipeline().srem(processes, PROCESS).delete(alive, ledger).execute()
        except Exception:
            logger.warning("could not remove this process's live connections from Redis", exc_info=True)
        _registered_in = None
    return counts
