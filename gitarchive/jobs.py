"""Archive jobs: queued in a table, run by a background thread of the web process, and
picked up again after a restart.

A job is claimed with a conditional UPDATE (one worker at a time) and beats a heartbeat
while it works; a job whose heartbeat stopped (the process died) is claimed again by
the next look at it (its progress page, the list, or `manage.py archive_jobs`) and
resumes: the blobs it uploaded are recorded, so only the rest are sent. After
MAX_ATTEMPTS interrupted tries it fails with a message instead of looping.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from gitarchive import content
from gitarchive.client import GitHub, GitHubError
from gitarchive.credentials import token_of
from gitarchive.models import ArchiveJob, ArchiveKind, GitHubCredential, JobState
from observer.audit import audit_record

logger = logging.getLogger("observer.github")

STALE_AFTER = timedelta(seconds=60)  # no heartbeat for this long: the worker is gone
MAX_ATTEMPTS = 3
BRANCH_RETRIES = 3

# Tests swap these (no real sleeping, no threads).
sleep: Callable[[float], None] = time.sleep
start_thread: Callable[[Callable[[], None]], None] = lambda target: threading.Thread(  # noqa: E731
    target=target, daemon=True, name="github-archive"
).start()


def git_blob_sha(text: str) -> str:
    """The sha git gives a file's content (so a resumed job knows what it sent)."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


# --- queueing and claiming ------------------------------------------------------------------


def archive_request(*, user: Any, kind: str, session: Any, participant: Any, owner: str, repo: str,
                    private: bool, request: Any = None) -> ArchiveJob:
    """Queues an archive (409 without a token, or while one into the same repository runs)."""
    from observer.errors import Conflict

    if not GitHubCredential.objects.filter(user=user).exists():
        raise Conflict("Connect GitHub (or paste a token) on your GitHub page first.")
    with transaction.atomic():
        busy = ArchiveJob.objects.select_for_update().filter(
            requested_by=user, owner__iexact=owner, repo__iexact=repo, state__in=[JobState.QUEUED, JobState.RUNNING]
        )
        if busy.exists():
            raise Conflict("An archive into this repository is already under way; wait for it to finish.")
        job = ArchiveJob.objects.create(kind=kind, session=session, participant=participant, requested_by=user,
                                        owner=owner, repo=repo, private=private, message="Queued")
        audit_record(action="github.archive_requested", actor=user, target=session, request=request,
                     details={"job": str(job.pk), "kind": kind, "repository": f"{owner or '~'}/{repo}",
                              "private": private})
        job_enqueue(job=job)
    return job


def job_enqueue(*, job: ArchiveJob) -> None:
    """Starts a worker for the job once its row is committed."""
    transaction.on_commit(lambda: start_thread(lambda: _thread_main(job.pk)))


def _stale() -> Q:
    cutoff = timezone.now() - STALE_AFTER
    return Q(state=JobState.QUEUED, created_at__lt=cutoff, heartbeat_at__isnull=True) | Q(
        state__in=[JobState.QUEUED, JobState.RUNNING], heartbeat_at__lt=cutoff
    )


def job_claim(*, job_id: Any, fresh: bool = False) -> str | None:
    """A worker id if this caller now owns the job: a queued job (fresh), or one whose
    worker stopped beating."""
    worker = secrets.token_hex(8)
    jobs = ArchiveJob.objects.filter(pk=job_id)
    fresh_or_stale = Q(state=JobState.QUEUED, heartbeat_at__isnull=True) | _stale() if fresh else _stale()
    claimed = jobs.filter(fresh_or_stale).update(
        state=JobState.RUNNING, worker=worker, heartbeat_at=timezone.now(), attempts=F("attempts") + 1
    )
    return worker if claimed else None


def jobs_resume_stale(*, job_ids: list[Any] | None = None, inline: bool = False) -> int:
    """Claims jobs whose worker is gone and runs them again (in threads, or here)."""
    candidates = ArchiveJob.objects.filter(_stale())
    if job_ids is not None:
        candidates = candidates.filter(pk__in=job_ids)
    started = 0
    for job_id in candidates.values_list("pk", flat=True)[:20]:
        worker = job_claim(job_id=job_id)
        if worker is None:
            continue
        started += 1
        if inline:
            job_run(job_id=job_id, worker=worker)
        else:
            start_thread(functools.partial(_run_in_thread, job_id, worker))
    return started


def _thread_main(job_id: Any) -> None:
    close_old_connections()
    try:
        worker = job_claim(job_id=job_id, fresh=True)
        if worker:
            job_run(job_id=job_id, worker=worker)
    finally:
        close_old_connections()


def _run_in_thread(job_id: Any, worker: str) -> None:
    close_old_connections()
    try:
        job_run(job_id=job_id, worker=worker)
    finally:
        close_old_connections()


# --- running ----------------------------------------------------------------------------------


class _Lost(Exception):
    """Another worker took the job over (this one was thought dead)."""


class _Progress:
    def __init__(self, job: ArchiveJob, worker: str) -> None:
        self.job = job
        self.worker = worker

    def save(self, **fields: Any) -> None:
        for key, value in fields.items():
            setattr(self.job, key, value)
        fields["heartbeat_at"] = timezone.now()
        if not ArchiveJob.objects.filter(pk=self.job.pk, worker=self.worker).update(**fields):
            raise _Lost()

    def wait(self, seconds: float) -> None:
        """Waits out a rate limit in slices, beating the heartbeat so the job is not taken for dead."""
        until = time.monotonic() + seconds
        self.save(message=f"Waiting {int(seconds) + 1} s for GitHub's rate limit")
        while (left := until - time.monotonic()) > 0:
            sleep(min(left, 10.0))
            self.save()


def job_run(*, job_id: Any, worker: str) -> None:
    job = ArchiveJob.objects.select_related("session", "participant", "requested_by").get(pk=job_id)
    progress = _Progress(job, worker)
    if job.attempts > MAX_ATTEMPTS:
        _finish(progress, ok=False, code="interrupted",
                message="The archive was interrupted several times (server restarts). Start it again.")
        return
    credential = GitHubCredential.objects.filter(user=job.requested_by).first()
    token = token_of(credential) if credential else None
    if not token:
        _finish(progress, ok=False, code="no_token",
                message="No GitHub token: connect GitHub or paste a token on your GitHub page, then archive again.")
        return
    client = GitHub(token, sleep=lambda seconds: sleep(seconds), on_wait=progress.wait)
    try:
        _archive(job, progress, client)
        GitHubCredential.objects.filter(pk=credential.pk).update(last_used_at=timezone.now())  # type: ignore[union-attr]
    except _Lost:
        logger.info("archive job %s was taken over by another worker", job.pk)
    except GitHubError as error:
        _finish(progress, ok=False, code=error.code, message=error.message)
    except Exception:
        logger.exception("archive job %s failed", job.pk)
        _finish(progress, ok=False, code="failed", message="The archive failed on the server; try again.")
    finally:
        client.close()


def _archive(job: ArchiveJob, progress: _Progress, client: GitHub) -> None:
    viewer = client.viewer()
    owner = job.owner or str(viewer.get("login", ""))
    progress.save(message="Collecting the files")
    if job.kind == ArchiveKind.SESSION:
        files = content.session_files(session=job.session)
        description = f"Observer class archive: {job.session.title}"
    else:
        assert job.participant is not None
        files = content.student_files(participant=job.participant)
        description = f"My work in the Observer class {job.session.title}"
    marker = files[content.MARKER]

    repo = client.repository(owner, job.repo)
    if repo is None:
        progress.save(message="Creating the repository")
        repo = client.create_repository(org=job.owner, name=job.repo, private=job.private, description=description)
        progress.save(repo_created=True)
    elif not repo.get("permissions", {}).get("push", True):
        raise GitHubError("name_taken", f"{owner}/{job.repo} exists and this token cannot write to it. "
                                        "Choose another name.")
    progress.save(repo_url=str(repo.get("html_url", "")))
    branch = str(repo.get("default_branch") or "main")
    head = client.head(owner, job.repo, branch)
    if head is None:
        raise GitHubError("repository_empty", f"{owner}/{job.repo} has no commits yet; GitHub's Git Data API needs "
                          "one. Add a README on GitHub, or choose a new name so Observer creates the repository.")
    parent_sha, parent_tree = head
    before = client.tree_paths(owner, job.repo, parent_tree)
    if not job.repo_created and content.MARKER in before:
        existing = client.blob_text(owner, job.repo, before[content.MARKER]) or ""
        if existing.strip() != marker.strip():
            raise GitHubError("name_taken", f"{owner}/{job.repo} already holds another archive. Choose another "
                              "name.")
    elif not job.repo_created and set(before) - {"README.md", ".gitignore", "LICENSE"}:
        raise GitHubError("name_taken", f"{owner}/{job.repo} already exists and holds other files. Choose another "
                          "name (Observer creates it), or an archive of this class.")

    # Blobs: only what GitHub does not have at that path already, or that a previous try sent.
    uploaded: dict[str, str] = dict(job.uploaded or {})
    entries: dict[str, str] = {}
    progress.save(files_total=len(files), files_done=0, message="Uploading files")
    done = 0
    for path, text in sorted(files.items()):
        sha = git_blob_sha(text)
        if before.get(path) != sha and uploaded.get(path) != sha:
            sent = client.create_blob(owner, job.repo, text)
            uploaded[path] = sent
            sha = sent
        entries[path] = sha
        done += 1
        progress.save(files_done=done, uploaded=uploaded)

    for _ in range(BRANCH_RETRIES):
        tree = client.create_tree(owner, job.repo, entries)
        if tree == parent_tree:
            _finish(progress, ok=True, message="Nothing changed since the last archive: no new commit.",
                    commit=parent_sha)
            return
        added = sorted(set(entries) - set(before))
        changed = sorted(p for p in entries if p in before and before[p] != entries[p])
        removed = sorted(set(before) - set(entries))
        commit = client.create_commit(owner, job.repo, message=_message(job, added, changed, removed), tree=tree,
                                      parent=parent_sha)
        if client.move_branch(owner, job.repo, branch, commit):
            _finish(progress, ok=True, commit=commit, message=(
                f"Archived: {len(added)} added, {len(changed)} changed, {len(removed)} removed."))
            return
        # Someone pushed meanwhile: build on their commit instead (never a force-push).
        head = client.head(owner, job.repo, branch)
        if head is None:
            break
        parent_sha, parent_tree = head
        before = client.tree_paths(owner, job.repo, parent_tree)
    raise GitHubError("branch_moved", f"The branch {branch} kept moving while archiving; try again.")


def _message(job: ArchiveJob, added: list[str], changed: list[str], removed: list[str]) -> str:
    if job.kind == ArchiveKind.SESSION:
        title = f"Archive of the class \"{job.session.title}\""
    else:
        title = f"My work in \"{job.session.title}\""
    lines = [title, "", f"{len(added)} added, {len(changed)} changed, {len(removed)} removed."]
    for label, paths in (("Added", added), ("Changed", changed), ("Removed", removed)):
        if paths:
            lines += ["", f"{label}:"] + [f"- {p}" for p in paths[:50]]
            if len(paths) > 50:
                lines.append(f"- … {len(paths) - 50} more")
    lines += ["", f"Archived from Observer by {job.requested_by.username}."]
    return "\n".join(lines)


def _finish(progress: _Progress, *, ok: bool, message: str, code: str = "", commit: str = "") -> None:
    job = progress.job
    with transaction.atomic():
        progress.save(state=JobState.DONE if ok else JobState.FAILED, message=message[:500], error_code=code,
                      commit_sha=commit or job.commit_sha, finished_at=timezone.now())
        audit_record(
            action="github.archive_done" if ok else "github.archive_failed", actor=job.requested_by,
            target=job.session,
            details={"job": str(job.pk), "kind": job.kind, "repository": f"{job.owner or '~'}/{job.repo}",
                     "commit": commit, "error": code},
        )
