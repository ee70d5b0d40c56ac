"""How each way a run can end reads as a Judge0 status, and API keys in the Django admin."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from coding.sandbox.base import RunResult, Status
from integrations import keys
from integrations.judge0.statuses import judge0_status, output_matches
from integrations.models import ApiKey, SubmissionStatus
from monitoring.models import AuditEvent


def result(status: Status, *, exit_code: int | None = 0, sig: int | None = None) -> RunResult:
    return RunResult(status, exit_code, sig, 10, 5, 1024, 3)


@pytest.mark.parametrize(("run", "expected"), [
    (result(Status.OK), SubmissionStatus.ACCEPTED),
    (result(Status.TIMEOUT, exit_code=None, sig=signal.SIGKILL), SubmissionStatus.TIME_LIMIT_EXCEEDED),
    (result(Status.COMPILE_ERROR, exit_code=1), SubmissionStatus.COMPILATION_ERROR),
    (result(Status.RUNTIME_ERROR, exit_code=None, sig=signal.SIGSEGV), SubmissionStatus.RUNTIME_ERROR_SIGSEGV),
    (result(Status.RUNTIME_ERROR, exit_code=None, sig=signal.SIGXFSZ), SubmissionStatus.RUNTIME_ERROR_SIGXFSZ),
    (result(Status.RUNTIME_ERROR, exit_code=None, sig=signal.SIGFPE), SubmissionStatus.RUNTIME_ERROR_SIGFPE),
    (result(Status.RUNTIME_ERROR, exit_code=None, sig=signal.SIGABRT), SubmissionStatus.RUNTIME_ERROR_SIGABRT),
    (result(Status.RUNTIME_ERROR, exit_code=None, sig=signal.SIGBUS), SubmissionStatus.RUNTIME_ERROR_OTHER),
    (result(Status.RUNTIME_ERROR, exit_code=2), SubmissionStatus.RUNTIME_ERROR_NZEC),
    (result(Status.MEMORY_LIMIT, exit_code=None, sig=signal.SIGKILL), SubmissionStatus.RUNTIME_ERROR_OTHER),
    (result(Status.OUTPUT_LIMIT, exit_code=None, sig=signal.SIGKILL), SubmissionStatus.RUNTIME_ERROR_SIGXFSZ),
    (result(Status.KILLED, exit_code=None, sig=signal.SIGKILL), SubmissionStatus.RUNTIME_ERROR_OTHER),
    (result(Status.SANDBOX_ERROR, exit_code=None), SubmissionStatus.INTERNAL_ERROR),
])
def test_each_way_a_run_ends_has_its_judge0_status(run: RunResult, expected: SubmissionStatus) -> None:
    assert judge0_status(run, stdout="", expected_output=None) == expected


def test_expected_output_is_compared_as_judge0_does() -> None:
    assert judge0_status(result(Status.OK), stdout="a \nb\n\n", expected_output="a\nb") == SubmissionStatus.ACCEPTED
    assert judge0_status(result(Status.OK), stdout="a\nb", expected_output="a\n b") == SubmissionStatus.WRONG_ANSWER
    assert output_matches("", "") and not output_matches("x", "")


@pytest.mark.django_db
def test_an_admin_creates_a_key_in_the_django_admin_and_sees_its_secret_once(admin_user: Any, teacher: Any) -> None:
    client = Client()
    client.force_login(admin_user)
    answer = client.post("/admin/integrations/apikey/add/", {
        "name": "LMS", "owner": str(teacher.pk), "scopes": ["execute", "read"], "allowed_ips": "10.0.0.0/8",
        "requests_rate": "", "executions_rate": ""}, follow=True)
    assert answer.status_code == 200
    key = ApiKey.objects.get()
    shown = [str(m) for m in get_messages(answer.wsgi_request)]
    secret = next(m.rsplit(" ", 1)[-1] for m in shown if "shown this once" in m)
    assert keys.key_for_secret(secret) == key and key.owner == teacher and key.allowed_ips == ["10.0.0.0/8"]
    assert key.scopes == ["execute", "read"]
    client.post("/admin/integrations/apikey/", {"action": "revoke", "_selected_action": [str(key.pk)]})
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert set(AuditEvent.objects.filter(action__startswith="api_key").values_list("action", flat=True)) == {
        "api_key.created", "api_key.revoked"}
    page = client.get(f"/admin/integrations/apikey/{key.pk}/change/").content.decode()
    assert secret not in page and key.secret_hash not in page


def test_the_admin_shows_a_submissions_server_process_apart_from_its_request(admin_user: Any, teacher: Any) -> None:
    from integrations.judge0 import services
    from observer import liveness

    issued = keys.key_create(owner=teacher, actor=teacher, name="k", scopes=["execute"])
    submission = services.submission_create(key=issued.key, base64_encoded=False, data={
        "source_code": "print(1)", "language_id": 71, "cpu_time_limit": 1.5})
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/admin/integrations/submission/{submission.pk}/change/").content.decode()
    assert liveness.PROCESS in page  # the operator sees which process runs it, as its own field
    assert submission.request == {"cpu_time_limit": 1.5, "base64_encoded": False}  # the client's fields only
    assert "observer_owner" not in page
