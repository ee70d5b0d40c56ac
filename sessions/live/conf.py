"""The live layer's settings, each overridable in Django settings under the same name."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from observer import liveness

DEFAULTS: dict[str, Any] = {
    # Frames published to other processes within one tick travel in one Redis PUBLISH.
    "LIVE_BRIDGE_TICK_SECONDS": 0.01,
    # How long a starting hub waits for the other processes' hubs to send what it lacks.
    "LIVE_PEER_SYNC_SECONDS": 0.5,
    # A batch the bridge could not publish is retried once after this long.
    "LIVE_BRIDGE_RETRY_SECONDS": 0.2,
    # Anti-entropy: every hub that changed in the last ACTIVE seconds and has listeners
    # in other processes compares its state with theirs this often (Redis pub/sub
    # delivers at most once; this makes up for a lost batch).
    "LIVE_ANTI_ENTROPY_SECONDS": 3.0,
    "LIVE_ANTI_ENTROPY_ACTIVE_SECONDS": 60.0,
    # The update log is appended (all documents in one transaction) this often.
    "LIVE_FLUSH_SECONDS": 1.0,
    # A snapshot is written once a document has been quiet this long ...
    "LIVE_SNAPSHOT_IDLE_SECONDS": 2.0,
    # ... and at least this often while it keeps changing.
    "LIVE_SNAPSHOT_MAX_SECONDS": 15.0,
    # At most this many snapshots per flush (the rest wait for the next one).
    "LIVE_SNAPSHOTS_PER_FLUSH": 20,
    # Presence and activity counters (chars typed, active seconds) are written this often.
    "LIVE_ACTIVITY_FLUSH_SECONDS": 5.0,
    # A process refreshes its claim on its participants' connections this often; three
    # missed beats and the others take them off (a crashed process's students go offline).
    "LIVE_PRESENCE_HEARTBEAT_SECONDS": liveness.DEFAULT_HEARTBEAT_SECONDS,
    # Gaps between edits up to this long count as active time.
    "LIVE_ACTIVE_GAP_SECONDS": 30.0,
    # A hub with no connection left stays loaded this long (reloads are not free).
    "LIVE_HUB_IDLE_SECONDS": 30.0,
    # Teachers' previews: at most one per document per interval, text capped.
    "LIVE_PREVIEW_INTERVAL_SECONDS": 0.25,
    "LIVE_PREVIEW_MAX_CHARS": 4000,
    # Monitor events (previews, typing) leave for a teacher's socket in batches this often
    # (with the preview interval, what a keystroke waits at most before the teacher sees it:
    # 25 ms keeps that under 300 ms with room for the network; a write per batch, not per event).
    "LIVE_MONITOR_BATCH_SECONDS": 0.025,
    # `typing` monitor events: at most one per document per interval.
    "LIVE_TYPING_INTERVAL_SECONDS": 2.0,
    # A teacher's edits to a student's file are audited once per burst.
    "LIVE_TEACHER_EDIT_BURST_SECONDS": 60.0,
    # An insertion of at least this many characters at once is a paste (replay).
    "LIVE_PASTE_MIN_CHARS": 20,
    # Incoming frame caps (bytes) per socket kind.
    "LIVE_DOCUMENT_MAX_FRAME_BYTES": 4 * 1024 * 1024,
    "LIVE_TERMINAL_MAX_FRAME_BYTES": 64 * 1024,
    "LIVE_SESSION_MAX_FRAME_BYTES": 4 * 1024,
    # Flood control per connection: a token bucket of messages; past it frames are
    # dropped with a `throttled` error, and a client that keeps going (this many drops
    # without a second's pause) is closed (4429).
    "LIVE_RATE_PER_SECOND": 60.0,
    "LIVE_RATE_BURST": 300,
    "LIVE_FLOOD_CLOSE_AFTER": 300,
    # A document socket that had an update dropped is asked to resend what the server
    # lacks once no frame has been dropped for this long.
    "LIVE_RESYNC_QUIET_SECONDS": 0.1,
    # A connection whose outgoing queue grows past this many frames cannot keep up:
    # it is closed (4408) and resynchronises when it reconnects.
    "LIVE_OUTBOX_MAX_FRAMES": 5000,
    # Prefix of the Redis pub/sub channels of the bridge.
    "LIVE_REDIS_PREFIX": liveness.DEFAULT_PREFIX,
}


_cache: dict[str, Any] = {}


def live_setting(name: str) -> Any:
    # Read on every keystroke: a missing setting costs an exception per getattr.
    try:
        return _cache[name]
    except KeyError:
        value = _cache[name] = getattr(settings, name, DEFAULTS[name])
        return value


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    _cache.clear()
