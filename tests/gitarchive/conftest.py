"""Every test here talks to a FakeGitHub on this machine (never the internet); jobs run
in the test's thread, and rate-limit waits are recorded instead of slept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gitarchive import jobs
from gitarchive.models import ArchiveJob, JobState
from tests.gitarchive.fakegithub import FakeGitHub


@pytest.fixture
def fake_github(settings: Any) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    url = fake.start()
    settings.GITHUB_CLIENT_ID = "fake-client-id"
    settings.GITHUB_CLIENT_SECRET = "fake-client-secret"
    settings.GITHUB_BASE_URL = url
    settings.GITHUB_API_URL = url + "/api/"
    yield fake
    fake.stop()


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(jobs, "sleep", waits.append)
    monkeypatch.setattr(jobs, "start_thread", lambda target: None)
    return waits


def run_queued() -> list[ArchiveJob]:
    """Runs every queued job here, as the background thread would."""
    done = []
    for job in ArchiveJob.objects.filter(state=JobState.QUEUED).order_by("created_at"):
        worker = jobs.job_claim(job_id=job.pk, fresh=True)
        assert worker is not None
        jobs.job_run(job_id=job.pk, worker=worker)
        job.refresh_from_db()
        done.append(job)
    return done
