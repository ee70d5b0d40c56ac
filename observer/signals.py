"""Project-wide signals that monitoring listens to (metrics, audit), so that the
apps emitting them never import monitoring's internals."""

from django.dispatch import Signal

# scope: "auth" | "join" | "run" ...; key: which limit tripped.
rate_limited = Signal()
# kind: "document" | "terminal" | "session" | "monitoring"
websocket_connected = Signal()
websocket_disconnected = Signal()
