"""The OpenAPI document at /api/schema/ and the interactive docs at /api/docs/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from accounts.schema import OPERATION_ERRORS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ERROR_REF = "#/components/schemas/Error"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(api) -> dict[str, Any]:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _json_ref(response: dict[str, Any]) -> str | None:
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def test_it_describes_the_standard_error_shape(schema) -> None:
    components = schema["components"]["schemas"]
    assert components["Error"]["properties"] == {"error": {"$ref": "#/components/schemas/ErrorDetail"}}
    detail = components["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "details"}
    assert set(detail["required"]) == {"code", "message", "details"}
    assert detail["properties"]["details"]["type"] == "object"


def test_it_declares_error_responses_with_that_shape_for_every_operation(schema) -> None:
    operations = _operations(schema)
    assert len(operations) > 30
    for method, path, operation in operations:
        errors = {code: response for code, response in operation["responses"].items() if code.startswith("4")}
        assert errors, f"{method} {path} declares no error response"
        for code, response in errors.items():
            assert _json_ref(response) == ERROR_REF, f"{method} {path} {code}"
            assert response["description"]
        if "429" in errors:
            assert "Retry-After" in errors["429"]["headers"]


def test_it_declares_which_errors_apply_to_each_operation(schema) -> None:
    codes = {(method, path): set(operation["responses"]) for method, path, operation in _operations(schema)}
    assert codes[("POST", "/api/auth/login")] >= {"400", "401", "429"}
    assert codes[("POST", "/api/auth/register")] >= {"400", "403", "429"}
    assert codes[("POST", "/api/auth/refresh")] >= {"401", "429"}
    assert "403" not in codes[("GET", "/api/auth/me")] and "401" in codes[("GET", "/api/auth/me")]
    assert codes[("POST", "/api/join")] >= {"400", "404", "409", "429"}
    assert codes[("GET", "/api/sessions/{session_id}/")] >= {"401", "403", "404"}
    assert "404" not in codes[("GET", "/api/sessions/")]


def test_it_names_only_operations_that_exist_in_its_table_of_extra_errors(schema) -> None:
    known = {(method, path) for method, path, _ in _operations(schema)}
    assert set(OPERATION_ERRORS) <= known


def test_it_declares_the_refresh_answer_with_the_new_access_token(schema) -> None:
    ok = schema["paths"]["/api/auth/refresh"]["post"]["responses"]["200"]
    name = _json_ref(ok).rsplit("/", 1)[-1]
    component = schema["components"]["schemas"][name]
    assert set(component["properties"]) == {"access", "refresh"}
    assert set(component["required"]) == {"access", "refresh"}


def test_it_declares_me_as_a_user_or_a_guest(schema) -> None:
    ok = schema["paths"]["/api/auth/me"]["get"]["responses"]["200"]
    components = schema["components"]["schemas"]
    variants = [ref["$ref"].rsplit("/", 1)[-1] for ref in components[_json_ref(ok).rsplit("/", 1)[-1]]["oneOf"]]
    fields = [set(components[name]["properties"]) for name in variants]
    assert {"id", "username", "email", "display_name", "role", "guest"} in fields
    assert {"guest", "role", "display_name", "participant_id", "session_id"} in fields


def test_it_serves_interactive_docs_that_load_the_schema(api) -> None:
    response = api.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "swagger-ui" in page.lower()
    assert "/api/schema/" in page
    # Everything the page loads comes from this server: no CDN (the machines it runs on
    # may have no internet, and a CDN would see who reads the docs).
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(url.startswith("/") for url in sources), sources
    script = next(url for url in sources if url.endswith("swagger-ui-bundle.js"))
    assert api.get(script).status_code == 200


def test_it_validates_the_schema_without_a_single_warning(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")],
        cwd=ROOT,
        env={**env, "OBSERVER_ENV_FILE": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Error" in (tmp_path / "s.yml").read_text()
