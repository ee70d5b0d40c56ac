"""Settings of the server that tests/live/test_shutdown.py starts: the project's
own, except that the live layer never writes by itself (only the shutdown flush can)."""

from observer.settings import *  # noqa: F403

LIVE_FLUSH_SECONDS = 3600.0
LIVE_SNAPSHOT_IDLE_SECONDS = 3600.0
LIVE_SNAPSHOT_MAX_SECONDS = 3600.0
