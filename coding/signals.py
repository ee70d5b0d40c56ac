"""Run lifecycle signals. coding emits them; monitoring turns them into metrics and
dashboard updates, so coding never imports monitoring's internals.

Every signal is sent with sender=<the emitting module or class> and keyword arguments:
- run_queued(language, participant_id, position)
- run_started(execution)          an Execution row in status running
- run_finished(execution)         the final Execution row (status, times, queue_wait_ms)
- run_rejected(language, reason, principal=None, participant_id=None)
                                  reason: "rate" | "concurrency" | "session_ended" | ...
- sandbox_failed(language, message)
"""

from django.dispatch import Signal

run_queued = Signal()
run_started = Signal()
run_finished = Signal()
run_rejected = Signal()
sandbox_failed = Signal()
