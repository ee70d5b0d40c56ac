"""A real run in the real sandbox (bubblewrap) through the terminal socket moves the
run counters and the duration histogram by exactly that run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from coding.models import Execution
from sessions.models import Document
from tests import live_support
from tests.live_support import Classroom, next_json, open_socket
from tests.monitoring.conftest import parse, scrape_text, value

registry, app, classroom = live_support.registry, live_support.app, live_support.classroom  # fixtures
pytestmark = [pytest.mark.sandbox, pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

DURATION = "observer_run_duration_seconds"


@pytest.fixture(autouse=True)
def _real_sandbox(settings: Any) -> None:
    settings.SANDBOX_BACKEND = "bubblewrap"


async def test_it_counts_a_real_sandboxed_run_in_the_metrics(app: object, classroom: Classroom) -> None:
    program = "import time\ntime.sleep(0.3)\nprint('done')\n"
    await database_sync_to_async(Document.objects.filter(pk=classroom.document.pk).update)(content=program)
    scrape = sync_to_async(lambda: parse(scrape_text()))
    before = await scrape()

    terminal = await open_socket(app, f"/ws/terminal/{classroom.participant.pk}/", classroom.student)
    await terminal.send_to(text_data=json.dumps({"type": "run", "rows": 24, "cols": 80}))
    started = await next_json(terminal, "started", timeout=20)
    finished = await next_json(terminal, "exit", timeout=20)
    await terminal.disconnect()
    after = await scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert finished["status"] == "ok"
    run = await database_sync_to_async(Execution.objects.get)(pk=started["run_id"])
    assert run.backend == "bubblewrap" and run.wall_ms is not None and run.wall_ms >= 300

    assert delta("observer_runs_started_total", language="python") == 1
    assert delta("observer_runs_finished_total", language="python", status="ok") == 1
    assert delta(f"{DURATION}_count", language="python") == 1
    # The histogram holds this run's own wall time ...
    assert delta(f"{DURATION}_sum", language="python") == pytest.approx(run.wall_ms / 1000, abs=0.001)
    # ... in the right bucket: not in any bucket below 0.25 s, in every bucket from 0.5 s up.
    assert delta(f"{DURATION}_bucket", language="python", le="0.25") == 0
    bucket = next(b for b in (0.5, 1.0, 2.5, 5.0, 10.0) if run.wall_ms / 1000 <= b)
    assert delta(f"{DURATION}_bucket", language="python", le=str(bucket)) == 1
    assert delta("observer_sandbox_errors_total", language="python") == 0
