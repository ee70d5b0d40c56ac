"""integrations 0003: a submission's owning process moves out of its `request` (where the
admin showed it among the client's fields) into the `owner` column the sweeper reads,
and back when the migration is reversed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("integrations", "0002_test_sessions")]
AFTER = [("integrations", "0003_submission_owner")]
OWNER = "web-1:4242:cafe0001"


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before() -> Iterator[Any]:
    apps = _migrate(BEFORE)
    yield apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # the latest again, for the next tests


def _submission(apps: Any, request: dict[str, Any]) -> Any:
    User = apps.get_model("accounts", "User")
    ApiKey = apps.get_model("integrations", "ApiKey")
    owner = User.objects.get_or_create(username="migration-owner")[0]
    key = ApiKey.objects.get_or_create(prefix="obs_migr", defaults={"name": "k", "owner": owner})[0]
    return apps.get_model("integrations", "Submission").objects.create(
        api_key=key, language_id=71, source_code="print(1)", request=request)


def test_the_owner_moves_to_its_column_and_back(before: Any) -> None:
    owned = _submission(before, {"base64_encoded": True, "cpu_time_limit": 1.0, "observer_owner": OWNER})
    unowned = _submission(before, {"base64_encoded": False})

    Submission = _migrate(AFTER).get_model("integrations", "Submission")
    moved, kept = Submission.objects.get(pk=owned.pk), Submission.objects.get(pk=unowned.pk)
    assert (moved.owner, moved.request) == (OWNER, {"base64_encoded": True, "cpu_time_limit": 1.0})
    assert (kept.owner, kept.request) == ("", {"base64_encoded": False})

    Submission = _migrate(BEFORE).get_model("integrations", "Submission")
    assert Submission.objects.get(pk=owned.pk).request == {"base64_encoded": True, "cpu_time_limit": 1.0,
                                                           "observer_owner": OWNER}
    assert Submission.objects.get(pk=unowned.pk).request == {"base64_encoded": False}
