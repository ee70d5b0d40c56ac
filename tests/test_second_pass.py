"""The second pass (PostgreSQL + Redis) leaves out only the sandbox suites that touch
neither the database nor the channel layer (tests/conftest.py): they ran in the first."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import pytest_collection_modifyitems


def _item(name: str, markers: tuple[str, ...] = (), fixtures: tuple[str, ...] = ()) -> Any:
    return SimpleNamespace(
        name=name, path=f"/work/tests/coding/{name}.py", fixturenames=list(fixtures),
        get_closest_marker=lambda marker: marker if marker in markers else None,
        add_marker=lambda marker: None,
    )


@pytest.mark.parametrize("which", ["first", "second"])
def test_only_sandbox_suites_without_the_database_run_once(monkeypatch: pytest.MonkeyPatch, which: str) -> None:
    monkeypatch.setenv("OBSERVER_TEST_PASS", which)
    items = [
        _item("hostile", markers=("sandbox",)),
        _item("podman", markers=("podman",), fixtures=("tmp_path",)),
        _item("sandbox_socket", markers=("sandbox",), fixtures=("transactional_db", "classroom")),
        _item("sandbox_db_marker", markers=("sandbox", "django_db")),
        _item("plain", fixtures=("db",)),
        _item("pure"),
    ]
    left_out: list[Any] = []
    config = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=lambda items: left_out.extend(items)))
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    names = [item.name for item in items]
    if which == "first":
        assert len(names) == 6 and not left_out
    else:
        assert names == ["sandbox_socket", "sandbox_db_marker", "plain", "pure"]
        assert [item.name for item in left_out] == ["hostile", "podman"]
