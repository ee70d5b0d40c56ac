"""Process-to-process fan-out of live traffic (document updates, awareness, monitor
feed, terminal streams), batched per tick.

Inside a process every topic has at most one local handler (the hub registry's);
between processes a topic is a Redis pub/sub channel with one subscription per
process and topic. Frames published during a tick travel together in one PUBLISH
per topic, and a process ignores its own messages (each carries the sender's
origin id). Without REDIS_URL a process-wide in-memory broker plays Redis' part, so
two registries in one process (tests) still behave like two servers.

Wire format of one message: 16-byte origin, then frames, each `varUint length + bytes`.
A message without frames announces a new subscriber. A process skips publishing on a
topic it subscribes to while it knows nobody else listens (the answer to its last
PUBLISH said so, and no announcement came since): a lone server pays nothing for
the bridge.

Redis pub/sub delivers at most once: a batch that cannot be published is retried once
(in order: batches leave one after another), and whatever was lost anyway is made up
by the registry's anti-entropy, which `on_resume(topics, or None for all)` asks for at
once: after a reconnect of the subscription, and when publishing works again after a
lost batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from pycrdt import write_var_uint

from sessions.live.conf import live_setting

logger = logging.getLogger("observer.live")

Handler = Callable[[bytes], None]
_ORIGIN_LEN = 16
_EXTERNAL_ORIGIN = b"\x00" * _ORIGIN_LEN


def encode(origin: bytes, frames: list[bytes]) -> bytes:
    return origin + b"".join(write_var_uint(len(f)) + f for f in frames)


def decode(payload: bytes) -> tuple[bytes, Iterator[bytes]]:
    def frames() -> Iterator[bytes]:
        i, n = _ORIGIN_LEN, len(payload)
        while i < n:
            length = shift = 0
            while True:
                byte = payload[i]
                i += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    break
            yield payload[i : i + length]
            i += length

    return payload[:_ORIGIN_LEN], frames()


def channel_name(topic: str) -> str:
    return f"{live_setting('LIVE_REDIS_PREFIX')}:{topic}"


class Bridge(ABC):
    def __init__(self, tick: float) -> None:
        self.origin = uuid.uuid4().bytes
        self.tick = tick
        self.handlers: dict[str, Handler] = {}
        # topic -> whether another process listens (only known for topics we subscribe to)
        self.remote: dict[str, bool] = {}
        self._pending: dict[str, list[bytes]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flushing: set[asyncio.Task[None]] = set()
        self._send_lock = asyncio.Lock()
        self._lost: set[str] = set()
        # Called with the topics whose traffic may have been lost (None: all of them).
        self.on_resume: Callable[[set[str] | None], None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._flush()
        if self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)
        for topic in list(self.handlers):
            await self.unsubscribe(topic)

    async def subscribe(self, topic: str, handler: Handler) -> None:
        self.handlers[topic] = handler
        self.remote[topic] = True  # until a PUBLISH says otherwise

    async def announce(self, topic: str) -> None:
        """Tell the other processes on `topic` that this one listens now."""
        await self._send(topic, encode(self.origin, []))

    async def unsubscribe(self, topic: str) -> None:
        self.handlers.pop(topic, None)
        self.remote.pop(topic, None)

    def heard(self, topic: str, others: int) -> None:
        """A PUBLISH reached `others` other processes."""
        if topic in self.handlers:
            self.remote[topic] = others > 0

    def publish(self, topic: str, frame: bytes) -> None:
        """Queue a frame for the other processes; sent with the others of this tick."""
        if self.remote.get(topic) is False:  # nobody else listens (a lone server)
            return
        self._pending.setdefault(topic, []).append(frame)
        if self._timer is None:
            loop = self._loop or asyncio.get_running_loop()
            self._timer = loop.call_later(self.tick, self._flush)

    def _flush(self) -> None:
        self._timer = None
        pending, self._pending = self._pending, {}
        batch = {
            topic: encode(self.origin, frames) for topic, frames in pending.items() if self.remote.get(topic, True)
        }  # (a topic may have lost its other listeners during the tick)
        if not batch:
            return
        task = asyncio.get_running_loop().create_task(self._send_many(batch))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def publish_now(self, topic: str, frame: bytes) -> int:
        """Send at once; returns how many other processes listen on the topic."""
        return await self._send(topic, encode(self.origin, [frame]))

    def deliver(self, topic: str, payload: bytes) -> None:
        origin, frames = decode(payload)
        handler = self.handlers.get(topic)
        if origin == self.origin or handler is None:
            return
        self.remote[topic] = True
        for frame in frames:
            try:
                handler(frame)
            except Exception:
                logger.exception("live bridge handler failed for %s", topic)

    @abstractmethod
    async def _send(self, topic: str, payload: bytes) -> int: ...

    async def _publish_batch(self, batch: dict[str, bytes]) -> dict[str, int]:
        """Publish every topic's payload; returns how many others heard each."""
        return {topic: await self._send(topic, payload) for topic, payload in batch.items()}

    async def _send_many(self, batch: dict[str, bytes]) -> None:
        async with self._send_lock:  # one batch at a time: a retry never overtakes
            try:
                counts = await self._publish_batch(batch)
            except Exception:
                logger.warning("live bridge could not publish %d topics; retrying once", len(batch), exc_info=True)
                await asyncio.sleep(float(live_setting("LIVE_BRIDGE_RETRY_SECONDS")))
                try:
                    counts = await self._publish_batch(batch)
                except Exception:
                    logger.exception("live bridge lost a batch of %d topics; anti-entropy will make it up", len(batch))
                    self._lost.update(batch)  # resynced once publishing works again
                    return
        for topic, receivers in counts.items():
            self.heard(topic, receivers)
        if self._lost:
            lost, self._lost = self._lost, set()
            self.resume(lost)

    async def recheck(self) -> None:
        """Ask the broker again, for topics believed to have no other listener, whether
        that still holds (a belief can outlive its cause: an announcement lost in an
        outage would otherwise silence a topic for good). The in-process broker knows
        its listeners exactly: nothing to ask."""
        return None

    def resume(self, topics: set[str] | None) -> None:
        """Traffic on `topics` (None: every topic) may have been lost: ask for a resync."""
        if self.on_resume is not None:
            try:
                self.on_resume(topics)
            except Exception:
                logger.exception("live bridge resync request failed")


# --- in-process broker ---------------------------------------------------------------

_local_lock = threading.Lock()
_local_topics: dict[str, set[LocalBridge]] = {}


class LocalBridge(Bridge):
    async def subscribe(self, topic: str, handler: Handler) -> None:
        await super().subscribe(topic, handler)
        with _local_lock:
            _local_topics.setdefault(topic, set()).add(self)
        await self.announce(topic)

    async def unsubscribe(self, topic: str) -> None:
        await super().unsubscribe(topic)
        with _local_lock:
            listeners = _local_topics.get(topic)
            if listeners is not None:
                listeners.discard(self)
                if not listeners:
                    del _local_topics[topic]

    async def _send(self, topic: str, payload: bytes) -> int:
        return _local_publish(topic, payload, exclude=self)


def _local_publish(topic: str, payload: bytes, exclude: Bridge | None = None) -> int:
    with _local_lock:
        listeners = [b for b in _local_topics.get(topic, ()) if b is not exclude]
    for bridge in listeners:
        loop = bridge._loop
        if loop is None or loop.is_closed():
            continue
        with contextlib.suppress(RuntimeError):  # loop closed between the check and the call
            loop.call_soon_threadsafe(bridge.deliver, topic, payload)
    return len(listeners)


# --- Redis ---------------------------------------------------------------------------


class RedisBridge(Bridge):
    def __init__(self, tick: float, url: str) -> None:
        super().__init__(tick)
        self.url = url
        self._redis: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._confirmed: set[str] = set()

    async def start(self) -> None:
        import redis.asyncio as aioredis

        await super().start()
        self._redis = aioredis.Redis.from_url(self.url)
        self._pubsub = self._redis.pubsub()
        # Always subscribed to something, so the reader can wait on the connection.
        await self._pubsub.subscribe(channel_name(f"process:{self.origin.hex()}"))
        # redis-py reconnects (and resubscribes) by itself, silently: what was published
        # meanwhile never arrives, so every reconnect asks for a resync.
        self._pubsub.connection.register_connect_callback(self._reconnected)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _reconnected(self, connection: Any) -> None:
        logger.warning("live bridge reconnected to Redis; resynchronising live documents")
        # redis-py has just sent the resubscriptions; their confirmations come through
        # the reader again. What this process knew about the other listeners dates from
        # before the outage: a PUBLISH made while their subscription was down answered
        # "nobody else", and their announcements may have been lost, which would keep
        # every topic silent (no relay, no anti-entropy) for good. So: assume everyone
        # listens again, and tell the others this process does.
        self._confirmed.clear()
        for topic in self.handlers:
            self.remote[topic] = True
        loop = self._loop or asyncio.get_running_loop()
        task = loop.create_task(self._after_reconnect())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _after_reconnect(self) -> None:
        # After the resubscription has reached Redis (the reader confirms it meanwhile).
        await asyncio.sleep(float(live_setting("LIVE_BRIDGE_RETRY_SECONDS")))
        topics = list(self.handlers)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for topic in topics:
                    pipe.publish(channel_name(topic), encode(self.origin, []))
                await pipe.execute()
        except Exception:
            logger.warning("live bridge could not announce itself after reconnecting", exc_info=True)
        self.resume(None)

    async def recheck(self) -> None:
        silent = [topic for topic, remote in self.remote.items() if not remote]
        if not silent or self._redis is None:
            return
        try:
            counts = await self._redis.pubsub_numsub(*(channel_name(topic) for topic in silent))
        except Exception:
            logger.warning("live bridge could not count the other listeners", exc_info=True)
            return
        prefix = len(channel_name(""))
        found = []
        for name, n in counts:
            topic = (name.decode() if isinstance(name, bytes) else name)[prefix:]
            if topic in self.handlers and self._others(topic, int(n)) > 0 and not self.remote.get(topic):
                self.remote[topic] = True
                found.append(topic)
        if found:
            self.resume(set(found))

    async def close(self) -> None:
        await super().close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()

    async def subscribe(self, topic: str, handler: Handler) -> None:
        known = topic in self.handlers
        await super().subscribe(topic, handler)
        if not known:
            await self._pubsub.subscribe(channel_name(topic))
            await self.announce(topic)

    async def unsubscribe(self, topic: str) -> None:
        if topic in self.handlers:
            await super().unsubscribe(topic)
            self._confirmed.discard(topic)
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(channel_name(topic))

    async def _read(self) -> None:
        prefix = len(channel_name(""))
        failing = False
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                if not failing:  # once per outage, not twice a second
                    logger.exception("live bridge lost Redis; retrying")
                failing = True
                await asyncio.sleep(0.5)
                continue  # the reconnect (in the next read) asks for a resync
            failing = False
            if not message:
                continue
            topic = message["channel"].decode()[prefix:]
            if message["type"] == "message":
                self.deliver(topic, message["data"])
            elif message["type"] == "subscribe":
                self._confirmed.add(topic)

    def _others(self, topic: str, receivers: int) -> int:
        return max(0, receivers - (1 if topic in self._confirmed else 0))

    async def _send(self, topic: str, payload: bytes) -> int:
        return self._others(topic, int(await self._redis.publish(channel_name(topic), payload)))

    async def _publish_batch(self, batch: dict[str, bytes]) -> dict[str, int]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for topic, payload in batch.items():
                pipe.publish(channel_name(topic), payload)
            counts = await pipe.execute()
        return {topic: self._others(topic, int(n)) for topic, n in zip(batch, counts, strict=True)}


def make_bridge() -> Bridge:
    tick = float(live_setting("LIVE_BRIDGE_TICK_SECONDS"))
    url = getattr(settings, "REDIS_URL", "")
    return RedisBridge(tick, url) if url else LocalBridge(tick)


# --- from synchronous code (REST views, services) ------------------------------------

_sync_redis: dict[str, Any] = {}


def _sync_client(url: str) -> Any:
    """One client per Redis URL for the synchronous callers (redis-py clients are thread-safe)."""
    client = _sync_redis.get(url)
    if client is None:
        import redis

        client = _sync_redis[url] = redis.Redis.from_url(url, socket_timeout=5)
    return client


def publish_external(topic: str, frame: bytes) -> None:
    """Publish one frame to every process from synchronous code (no running hub)."""
    payload = encode(_EXTERNAL_ORIGIN, [frame])
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        _local_publish(topic, payload)
        return
    try:
        _sync_client(url).publish(channel_name(topic), payload)
    except Exception:
        # The update is in the database; editors pick it up when they reconnect.
        logger.exception("could not forward a server edit to live editors")


def listened(topics: Iterable[str]) -> set[str]:
    """Which of `topics` some server process subscribes to, from synchronous code.
    Raises when Redis cannot answer (the caller picks the cautious reading)."""
    wanted = list(topics)
    url = getattr(settings, "REDIS_URL", "")
    if not url:  # one process: its in-memory broker knows every subscriber
        with _local_lock:
            return {topic for topic in wanted if _local_topics.get(topic)}
    names = {channel_name(topic): topic for topic in wanted}
    counts = _sync_client(url).pubsub_numsub(*names) if names else []
    return {names[name.decode() if isinstance(name, bytes) else name] for name, n in counts if n}


def publish_document_update(document_id: Any, update: bytes) -> None:
    """A server edit, already in the database, for the editors connected right now."""
    from sessions.live.topics import SERVER_EDIT, document_topic

    publish_external(document_topic(document_id), SERVER_EDIT + update)
