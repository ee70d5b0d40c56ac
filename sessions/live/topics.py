"""Bridge topic names and the one-byte kinds of the frames that travel on them."""

from __future__ import annotations

import uuid
from typing import Any

# doc:<id>
UPDATE = b"U"  # a Yjs update integrated by the sender (or a server edit)
AWARENESS = b"A"  # a y-protocols awareness update, relayed and never stored
HELLO = b"H"  # a hub starting: its state vector; peers answer with SYNC + REPLY
SYNC = b"S"  # a state vector; peers answer with REPLY (what the sender lacks)
REPLY = b"R"  # a Yjs update answering HELLO, SYNC or PROBE (possibly empty)
# anti-entropy: a state vector and the sender's delete set (see DocumentHub.probe);
# peers answer with REPLY, and with SYNC when the sender has something they lack
PROBE = b"P"
SERVER_EDIT = b"X"  # a Yjs update the server already stored (REST write, push)

# feed:<session id>: JSON monitor events for the session's teachers (preview, typing)
# term:<participant id>: a participant's runs, frames of coding.frames (sessions.terminal)


def document_topic(document_id: Any) -> str:
    return f"doc:{uuid.UUID(str(document_id)).hex}"


def feed_topic(session_id: Any) -> str:
    return f"feed:{uuid.UUID(str(session_id)).hex}"


def terminal_topic(participant_id: Any) -> str:
    return f"term:{uuid.UUID(str(participant_id)).hex}"
