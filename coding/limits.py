"""Limits on runs, one implementation for the terminal and for `/api/me/limits`.

- Runs per window per principal (a participant's user, or the guest): a fixed-window
  counter in the Django cache (Redis with REDIS_URL, so every process shares it).
- Concurrency: one running run per principal and a machine-wide cap, held as leases
  (a crashed process's slots expire), with a fair FIFO queue in front of the cap: a
  principal has at most one place in it, so repeated runs cannot push others back.
  With REDIS_URL the slots and the queue live in Redis (one Lua script decides
  atomically); otherwise in this process.
- The queue's order is the order the runs were asked for: each request carries the
  time it arrived (`arrived`, taken when the run service got it), and its place is by
  that time, not by when its first call reaches the queue. Between the two lie the
  runs-per-window check in a thread pool and a pool of Redis connections, which both
  reorder a class's burst (tests/bench/bench_runs.py measured 4.8 places off the asking
  order at 100 students when the place went by arrival at the queue).
- A share reserved for classes: an API key's runs may hold at most
  max_concurrent - reserved_for_classes slots (at least one); a key's run waiting in the
  queue while that share is full does not hold back the classes' runs behind it.

Settings: RUN_LIMITS = {window_seconds, runs_per_window, max_concurrent,
per_principal_concurrent, lease_seconds, queue_max, queue_poll_seconds,
reserved_for_classes}.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from accounts.principals import Principal, principal_key

DEFAULTS: dict[str, Any] = {
    "window_seconds": 60,
    "runs_per_window": 10,
    # Interactive runs mostly wait for input, so a core can carry a few of them.
    "max_concurrent": max(2, 2 * (os.cpu_count() or 1)),
    "per_principal_concurrent": 1,
    "lease_seconds": 60,
    "queue_max": 500,
    "queue_poll_seconds": 0.25,
    "reserved_for_classes": 0,
}


def config() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "RUN_LIMITS", {})}


def api_key_cap(conf: dict[str, Any]) -> int:
    """Slots an API key's runs may hold together: the cap less the classes' share (at
    least one, so a key's run is never refused for good)."""
    return max(1, int(conf["max_concurrent"]) - max(0, int(conf.get("reserved_for_classes") or 0)))


# --- runs per window ---------------------------------------------------------------------


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    used: int
    limit: int
    window_seconds: int
    resets_at: float  # epoch seconds
    counter: str = ""  # the cache key the run was counted under (for rate_refund)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.resets_at - time.time()))


def _window(now: float) -> tuple[int, int, float]:
    conf = config()
    window = int(conf["window_seconds"])
    index = int(now // window)
    return window, index, (index + 1) * window


def _rate_key(key: str, index: int) -> str:
    return f"runs:rate:{key}:{index}"


def rate_take(*, key: str) -> RateDecision:
    """Count one run against the window; refused runs are not counted."""
    now = time.time()
    window, index, resets_at = _window(now)
    limit = int(config()["runs_per_window"])
    name = _rate_key(key, index)
    cache.add(name, 0, timeout=window + 5)
    used = int(cache.incr(name))
    if used > limit:
        cache.decr(name)
        return RateDecision(False, limit, limit, window, resets_at)
    return RateDecision(True, used, limit, window, resets_at, counter=name)


def rate_refund(*, decision: RateDecision) -> None:
    """Give back a run counted by rate_take that never started (refused by the
    concurrency limits, withdrawn from the queue, failed to start)."""
    if not decision.allowed or not decision.counter:
        return
    with contextlib.suppress(ValueError):  # the window is over (the key expired): nothing to give back
        if int(cache.get(decision.counter) or 0) > 0:
            cache.decr(decision.counter)


def rate_peek(*, key: str) -> RateDecision:
    now = time.time()
    window, index, resets_at = _window(now)
    limit = int(config()["runs_per_window"])
    used = int(cache.get(_rate_key(key, index)) or 0)
    return RateDecision(used < limit, min(used, limit), limit, window, resets_at)


# --- concurrency ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotDecision:
    granted: bool
    position: int = 0  # place in the queue when not granted (1 = next)
    # "principal" (already running) | "queue_full" | "superseded" | "waiting_behind" (the
    # principal already has another request in the queue, which this one does not replace)
    refused: str = ""


def _stale_seconds(conf: dict[str, Any]) -> float:
    """A queued request not seen for this long is gone (its waiter polls far more often)."""
    return max(5.0, 20 * float(conf["queue_poll_seconds"]))


class LocalSlots:
    """Slots and queue of this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slots: dict[str, tuple[str, float]] = {}  # ticket -> (key, lease expiry)
        self.queue: dict[str, tuple[str, float, float]] = {}  # ticket -> (key, last seen, arrived)
        self.api_slots: set[str] = set()  # the slots an API key's runs hold
        self.api_queue: set[str] = set()  # the queued requests of API keys
        self.gone: set[str] = set()

    def _drop(self, ticket: str) -> None:
        self.queue.pop(ticket, None)
        self.api_queue.discard(ticket)

    def _expire(self, now: float, stale: float) -> None:
        for ticket, (_, until) in list(self.slots.items()):
            if until <= now:
                del self.slots[ticket]
                self.api_slots.discard(ticket)
        for ticket, (_, seen, _arrived) in list(self.queue.items()):
            if seen <= now - stale:
                self._drop(ticket)
                self.gone.add(ticket)

    def acquire(self, ticket: str, key: str, conf: dict[str, Any], *, first: bool, per_key: int | None = None,
                replace: bool = True, arrived: float | None = None, api_key: bool = False) -> SlotDecision:
        now = time.time()
        with self.lock:
            self._expire(now, _stale_seconds(conf))
            if ticket in self.slots:
                return SlotDecision(True)
            if not first and ticket not in self.queue:
                return SlotDecision(False, refused="superseded")
            api_key = api_key or ticket in self.api_queue
            held = sum(1 for k, _ in self.slots.values() if k == key)
            if held >= (per_key or int(conf["per_principal_concurrent"])):
                self._drop(ticket)
                return SlotDecision(False, refused="principal")
            if ticket not in self.queue:
                others = [other for other, (k, _s, _a) in self.queue.items() if k == key]
                if others and not replace:
                    return SlotDecision(False, refused="waiting_behind")
                for other in others:  # one place per principal: the newer request takes over
                    self._drop(other)
                    self.gone.add(other)
                if len(self.queue) >= int(conf["queue_max"]):
                    return SlotDecision(False, refused="queue_full")
                if api_key:
                    self.api_queue.add(ticket)
            stamp = self.queue[ticket][2] if ticket in self.queue else (now if arrived is None else arrived)
            self.queue[ticket] = (key, now, stamp)
            ahead = [t for t, (_k, _s, at) in self.queue.items() if (at, t) < (stamp, ticket)]
            api_room = api_key_cap(conf) - len(self.api_slots)
            # While the keys' share is full, their queued requests wait without holding a place.
            rank = len(ahead) - (sum(1 for t in ahead if t in self.api_queue) if api_room <= 0 else 0)
            free = int(conf["max_concurrent"]) - len(self.slots)
            if rank < free and (api_room > 0 or not api_key):
                self._drop(ticket)
                self.slots[ticket] = (key, now + float(conf["lease_seconds"]))
                if api_key:
                    self.api_slots.add(ticket)
                return SlotDecision(True)
            return SlotDecision(False, position=max(rank - max(free, 0), 0) + 1)

    def renew(self, ticket: str, conf: dict[str, Any]) -> None:
        with self.lock:
            if ticket in self.slots:
                self.slots[ticket] = (self.slots[ticket][0], time.time() + float(conf["lease_seconds"]))

    def release(self, ticket: str) -> None:
        with self.lock:
            self.slots.pop(ticket, None)
            self.api_slots.discard(ticket)
            self._drop(ticket)

    # In memory and quick: called on the event loop as they are.
    async def aacquire(self, ticket: str, key: str, conf: dict[str, Any], *, first: bool, per_key: int | None = None,
                       replace: bool = True, arrived: float | None = None, api_key: bool = False) -> SlotDecision:
        return self.acquire(ticket, key, conf, first=first, per_key=per_key, replace=replace, arrived=arrived,
                            api_key=api_key)

    async def arenew(self, ticket: str, conf: dict[str, Any]) -> None:
        self.renew(ticket, conf)

    async def arelease(self, ticket: str) -> None:
        self.release(ticket)

    def running(self, key: str | None = None) -> int:
        now = time.time()
        with self.lock:
            return sum(1 for k, until in self.slots.values() if until > now and (key is None or k == key))

    def queued(self, conf: dict[str, Any]) -> int:
        fresh = time.time() - _stale_seconds(conf)
        with self.lock:
            return sum(1 for _key, seen, _arrived in self.queue.values() if seen > fresh)


_ACQUIRE = """
local slots, owner, queue, qowner, apislots, apiqueue = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local ticket, key = ARGV[1], ARGV[2]
local now, lease, max, per_key, qmax, first = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8] == '1'
local stale, api, api_cap = tonumber(ARGV[9]), ARGV[12] == '1', tonumber(ARGV[13])
local function unqueue(t)
  redis.call('ZREM', queue, t); redis.call('ZREM', queue .. ':seen', t); redis.call('HDEL', qowner, t)
  redis.call('ZREM', apiqueue, t)
end
for _, t in ipairs(redis.call('ZRANGEBYSCORE', slots, '-inf', now)) do
  redis.call('ZREM', slots, t); redis.call('HDEL', owner, t); redis.call('SREM', apislots, t)
end
for _, t in ipairs(redis.call('ZRANGEBYSCORE', queue .. ':seen', '-inf', now - stale)) do unqueue(t) end
if redis.call('ZSCORE', slots, ticket) then return {1, 0, ''} end
local queued = redis.call('ZSCORE', queue, ticket)
if not first and not queued then return {0, 0, 'superseded'} end
if queued and not api and redis.call('ZSCORE', apiqueue, ticket) then api = true end
local held = 0
for _, k in ipairs(redis.call('HVALS', owner)) do if k == key then held = held + 1 end end
if held >= per_key then
  unqueue(ticket)
  return {0, 0, 'principal'}
end
if not queued then
  local all = redis.call('HGETALL', qowner)
  if ARGV[10] ~= '1' then
    for i = 1, #all, 2 do
      if all[i + 1] == key then return {0, 0, 'waiting_behind'} end
    end
  end
  for i = 1, #all, 2 do
    if all[i + 1] == key then unqueue(all[i]) end
  end
  if redis.call('ZCARD', queue) >= qmax then return {0, 0, 'queue_full'} end
  -- The place goes by the time the run was asked for, not by when this call came.
  queued = ARGV[11]
  redis.call('ZADD', queue, queued, ticket)
  redis.call('HSET', qowner, ticket, key)
  if api then redis.call('ZADD', apiqueue, queued, ticket) end
end
redis.call('ZADD', queue .. ':seen', now, ticket)
local rank = redis.call('ZRANK', queue, ticket)
local api_room = api_cap - redis.call('SCARD', apislots)
if api_room <= 0 then  -- the keys' share is full: their queued requests hold no one back
  rank = rank - redis.call('ZCOUNT', apiqueue, '-inf', '(' .. queued)
  if rank < 0 then rank = 0 end
end
local free = max - redis.call('ZCARD', slots)
if rank < free and (api_room > 0 or not api) then
  unqueue(ticket)
  redis.call('ZADD', slots, now + lease, ticket); redis.call('HSET', owner, ticket, key)
  if api then redis.call('SADD', apislots, ticket) end
  return {1, 0, ''}
end
if free < 0 then free = 0 end
rank = rank - free
if rank < 0 then rank = 0 end
return {0, rank + 1, ''}
"""


class RedisSlots:
    """The same, shared by every process through Redis."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.url = url
        self.client: Any = redis.Redis.from_url(url)
        self.keys = [f"{prefix}:runs:slots", f"{prefix}:runs:owner", f"{prefix}:runs:queue", f"{prefix}:runs:qowner",
                     f"{prefix}:runs:apislots", f"{prefix}:runs:apiqueue"]
        self.script = self.client.register_script(_ACQUIRE)
        # The run path talks to Redis from the event loop, without a thread hop: an
        # asyncio client per event loop (its connections belong to the loop).
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def _on_loop(self) -> tuple[Any, Any]:
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            import redis.asyncio

            connection = redis.asyncio.Redis.from_url(self.url)
            client = self._async[loop] = (connection, connection.register_script(_ACQUIRE))
        return client

    def _acquire_args(self, ticket: str, key: str, conf: dict[str, Any], first: bool, per_key: int | None,
                      replace: bool, arrived: float | None, api_key: bool) -> list[Any]:
        now = time.time()
        return [ticket, key, now, float(conf["lease_seconds"]), int(conf["max_concurrent"]),
                per_key or int(conf["per_principal_concurrent"]), int(conf["queue_max"]), "1" if first else "0",
                _stale_seconds(conf), "1" if replace else "0", repr(now if arrived is None else arrived),
                "1" if api_key else "0", api_key_cap(conf)]

    @staticmethod
    def _decision(answer: list[Any]) -> SlotDecision:
        granted, position, refused = answer
        reason = refused.decode() if isinstance(refused, bytes) else str(refused or "")
        return SlotDecision(bool(granted), int(position), reason)

    def acquire(self, ticket: str, key: str, conf: dict[str, Any], *, first: bool, per_key: int | None = None,
                replace: bool = True, arrived: float | None = None, api_key: bool = False) -> SlotDecision:
        args = self._acquire_args(ticket, key, conf, first, per_key, replace, arrived, api_key)
        return self._decision(self.script(keys=self.keys, args=args))

    async def aacquire(self, ticket: str, key: str, conf: dict[str, Any], *, first: bool, per_key: int | None = None,
                       replace: bool = True, arrived: float | None = None, api_key: bool = False) -> SlotDecision:
        _client, script = self._on_loop()
        args = self._acquire_args(ticket, key, conf, first, per_key, replace, arrived, api_key)
        return self._decision(await script(keys=self.keys, args=args))

    def renew(self, ticket: str, conf: dict[str, Any]) -> None:
        self.client.zadd(self.keys[0], {ticket: time.time() + float(conf["lease_seconds"])}, xx=True)

    async def arenew(self, ticket: str, conf: dict[str, Any]) -> None:
        client, _script = self._on_loop()
        await client.zadd(self.keys[0], {ticket: time.time() + float(conf["lease_seconds"])}, xx=True)

    def _release(self, pipe: Any, ticket: str) -> Any:
        pipe.zrem(self.keys[0], ticket).hdel(self.keys[1], ticket).srem(self.keys[4], ticket)
        pipe.zrem(self.keys[2], ticket).zrem(f"{self.keys[2]}:seen", ticket).hdel(self.keys[3], ticket)
        return pipe.zrem(self.keys[5], ticket)

    def release(self, ticket: str) -> None:
        self._release(self.client.pipeline(), ticket).execute()

    async def arelease(self, ticket: str) -> None:
        client, _script = self._on_loop()
        await self._release(client.pipeline(), ticket).execute()

    def queued(self, conf: dict[str, Any]) -> int:
        fresh = time.time() - _stale_seconds(conf)
        return int(self.client.zcount(f"{self.keys[2]}:seen", f"({fresh}", "+inf"))

    def running(self, key: str | None = None) -> int:
        live = {t.decode() for t in self.client.zrangebyscore(self.keys[0], time.time(), "+inf")}
        if key is None:
            return len(live)
        owners = self.client.hgetall(self.keys[1])
        return sum(1 for t, k in owners.items() if t.decode() in live and k.decode() == key)


_slots: LocalSlots | RedisSlots | None = None
_slots_for: str | None = None


def slots() -> LocalSlots | RedisSlots:
    global _slots, _slots_for
    url = getattr(settings, "REDIS_URL", "")
    if _slots is None or _slots_for != url:
        prefix = getattr(settings, "CACHE_PREFIX", "observer")
        _slots = RedisSlots(url, prefix) if url else LocalSlots()
        _slots_for = url
    return _slots


def queue_length() -> int:
    """Runs waiting for a slot right now (every process's, with REDIS_URL). Blocking."""
    return slots().queued(config())


async def slot_acquire(*, ticket: str, key: str, first: bool, per_key: int | None = None,
                       replace: bool = True, arrived: float | None = None, api_key: bool = False) -> SlotDecision:
    """A slot for `ticket`, or its place in the queue. `per_key`: runs at once for this
    principal (default: the configured per-principal limit). `replace`: a new request takes
    over the principal's place in the queue (a student's new Run replaces the one waiting);
    else it waits behind it ("waiting_behind": ask again, first=True, later). `arrived`:
    when the run was asked for (epoch seconds; default now), which sets its place.
    `api_key`: an API key's run, within the share not reserved for classes."""
    return await slots().aacquire(ticket, key, config(), first=first, per_key=per_key, replace=replace,
                                  arrived=arrived, api_key=api_key)


async def slot_release(*, ticket: str) -> None:
    await slots().arelease(ticket)
    _wake_waiters()


async def slot_renew(*, ticket: str) -> None:
    await slots().arenew(ticket, config())


# Waiters of this process, with the queue position each last saw. A freed slot can only
# go to the head of the queue, so a release wakes the few waiters nearest it (as many
# as a slot count could reach) rather than every waiter: with a class of 100 waiting,
# waking all of them made 100 Redis round trips per freed slot, and the head's own
# attempt waited behind them.
_waiters: dict[asyncio.Event, int] = {}


def _wake_waiters() -> None:
    reach = max(1, int(config()["max_concurrent"]))
    for event in sorted(_waiters, key=_waiters.__getitem__)[:reach]:
        event.set()


def poll_seconds(position: int) -> float:
    """How long a waiter at `position` sleeps before it asks again, if nothing wakes it:
    the head polls often (a slot freed by another process wakes nobody here); the rest
    less, as their place cannot turn into a slot before the head's does."""
    conf = config()
    base = float(conf["queue_poll_seconds"])
    if position <= int(conf["max_concurrent"]):
        return base
    return min(4 * base, _stale_seconds(conf) / 4)


async def wait_for_turn(seconds: float, *, position: int = 0) -> None:
    """Sleep until a slot may have freed here (or `seconds`, for other processes)."""
    event = asyncio.Event()
    _waiters[event] = position
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        pass
    finally:
        _waiters.pop(event, None)


# --- what /api/me/limits shows ------------------------------------------------------------------


def run_usage(*, principal: Principal) -> dict[str, Any]:
    key = principal_key(principal)
    rate = rate_peek(key=key)
    conf = config()
    return {
        "window_seconds": rate.window_seconds,
        "runs_per_window": rate.limit,
        "used": rate.used,
        "remaining": max(0, rate.limit - rate.used),
        "resets_at": datetime.fromtimestamp(rate.resets_at, UTC).isoformat().replace("+00:00", "Z"),
        "concurrent": {"running": slots().running(key), "max": int(conf["per_principal_concurrent"])},
    }


async def run_usage_async(*, principal: Principal) -> dict[str, Any]:
    return await sync_to_async(run_usage)(principal=principal)
