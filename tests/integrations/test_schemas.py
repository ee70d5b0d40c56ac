"""Both APIs are described: the key management and execution APIs in the app's OpenAPI
document (standard error shape), the Judge0 API in its own (Judge0's error shapes)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

OPENAPI = "application/vnd.oai.openapi+json"


def test_the_apps_document_has_the_key_and_execution_apis_and_not_judge0s(api: Any) -> None:
    paths = api.get("/api/schema/", HTTP_ACCEPT=OPENAPI).json()["paths"]
    assert {"/api/integrations/keys/", "/api/integrations/keys/{key_id}/rotate", "/api/v1/executions",
            "/api/v1/executions/{execution_id}"} <= set(paths)
    assert not [path for path in paths if path.startswith("/judge0/")]
    post = paths["/api/v1/executions"]["post"]
    assert {"apiKey": []} in post["security"] and "Retry-After" in post["responses"]["429"]["headers"]


def test_the_judge0_document_describes_its_api(api: Any) -> None:
    document = api.get("/judge0/openapi.json", HTTP_ACCEPT=OPENAPI).json()
    assert document["servers"] == [{"url": "/judge0"}]
    assert {"/languages/", "/statuses/", "/about/", "/config_info/", "/submissions/", "/submissions/{token}/",
            "/submissions/batch/"} <= set(document["paths"])
    create = document["paths"]["/submissions/"]["post"]
    assert {"judge0AuthToken": []} in create["security"] and "422" in create["responses"]
