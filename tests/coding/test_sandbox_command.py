"""``manage.py sandbox check`` and ``manage.py sandbox run``."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.coding.sandbox_support import RunTracker


def language_rows(text: str) -> list[str]:
    """The lines of the check's language table (after the protections)."""
    lines = text.splitlines()
    return lines[lines.index(next(line for line in lines if line.startswith("language "))) + 1:]


def test_it_checks_every_language_on_the_fake_backend(fake_sandbox: None) -> None:
    out = StringIO()
    call_command("sandbox", "check", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "backend: fake  cgroups: none"
    assert lines[2] == "protections: none reported by this backend"
    assert lines[3].split() == ["language", "status", "wall", "detail"]
    assert [line.split()[:2] for line in lines[4:]] == [
        [language, "ok"] for language in ("python", "javascript", "typescript", "c", "cpp", "java")
    ]


def test_it_fails_the_check_when_the_backend_is_unavailable(settings: object) -> None:
    from coding.sandbox import reset_backends

    settings.SANDBOX_BACKEND = "bubblewrap"  # type: ignore[attr-defined]
    settings.SANDBOX_BWRAP = "/nonexistent/bwrap"  # type: ignore[attr-defined]
    reset_backends()
    try:
        with pytest.raises(CommandError, match="apt-get install bubblewrap"):
            call_command("sandbox", "check", stdout=StringIO())
    finally:
        reset_backends()


@pytest.mark.sandbox
@pytest.mark.timeout(60)
def test_it_checks_real_languages_on_bubblewrap(bwrap: RunTracker) -> None:
    out = StringIO()
    call_command("sandbox", "check", "--language", "python", "--language", "c", stdout=out)
    text = out.getvalue()
    assert "backend: bubblewrap  cgroups: v1" in text
    rows = {line.split()[0]: line.split()[1] for line in language_rows(text)}
    assert rows == {"python": "ok", "c": "ok"}


@pytest.mark.sandbox
@pytest.mark.timeout(60)
def test_it_says_which_protections_are_active_on_bubblewrap(bwrap: RunTracker) -> None:
    out = StringIO()
    call_command("sandbox", "check", "--language", "python", stdout=out, stderr=StringIO())
    lines = out.getvalue().splitlines()
    assert lines[2].split() == ["protection", "state", "detail"]
    states = {line[:28].strip(): line[28:].split()[0] for line in lines[3:lines.index("")]}
    assert states == {
        "seccomp filter": "active", "no nested user namespaces": "active", "host uid per run": "active",
        "masked /proc files": "active", "/build quota": "active", "cgroup limits": "active",
        "kernel.io_uring_disabled": states["kernel.io_uring_disabled"],  # the operator's choice
        "kernel.perf_event_paranoid": states["kernel.perf_event_paranoid"],
    }


def test_it_reports_a_protection_it_cannot_apply_as_degraded() -> None:
    from coding.sandbox.bubblewrap import BubblewrapBackend

    backend = BubblewrapBackend()  # never runs anything here
    try:
        backend.disables_userns = False  # a bubblewrap older than 0.8
        backend.uids = None  # a server that is not root
        found = {p.name: (p.state, p.detail) for p in backend.protections()}
    finally:
        backend.close()
    assert found["no nested user namespaces"][0] == "degraded"
    assert "no --disable-userns" in found["no nested user namespaces"][1]
    assert found["host uid per run"][0] == "degraded"
    assert found["host uid per run"][1].startswith("the server is not root")
    assert found["/build quota"][0] == "degraded"
    assert found["seccomp filter"][0] == "active"


def test_the_check_lists_protections_and_says_which_are_degraded(
    fake_sandbox: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coding.sandbox.fake import FakeBackend
    from coding.sandbox.policy import Protection

    monkeypatch.setattr(FakeBackend, "protections", lambda self: [
        Protection("seccomp filter", "active", "a filter"),
        Protection("host uid per run", "degraded", "not root"),
    ])
    out, err = StringIO(), StringIO()
    call_command("sandbox", "check", "--language", "python", stdout=out, stderr=err)
    assert out.getvalue().splitlines()[2:6] == [
        "protection        state     detail",
        "seccomp filter    active    a filter",
        "host uid per run  degraded  not root",
        "",
    ]
    assert err.getvalue().strip() == "degraded on this host: host uid per run (see above)"


def test_it_refuses_to_run_without_the_seccomp_filter(settings: object, tmp_path: Path) -> None:
    from coding.sandbox import reset_backends

    settings.SANDBOX_BACKEND = "bubblewrap"  # type: ignore[attr-defined]
    settings.SANDBOX_SECCOMP_FILTER = str(tmp_path / "missing.bpf")  # type: ignore[attr-defined]
    reset_backends()
    out = StringIO()
    try:
        with pytest.raises(CommandError, match="no usable seccomp filter at .*missing.bpf.*scripts/install"):
            call_command("sandbox", "check", stdout=out)
    finally:
        reset_backends()
    assert "seccomp filter              degraded" in out.getvalue()


@pytest.mark.sandbox
@pytest.mark.timeout(60)
def test_it_runs_files_and_ends_with_a_json_line(
    bwrap: RunTracker, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "main.py").write_text("import sys, helper\nprint(helper.shout(sys.stdin.read()))\n")
    (tmp_path / "helper.py").write_text("def shout(s):\n    return s.upper()\n")
    out = StringIO()
    call_command("sandbox", "run", "--language", "python", "--stdin", "hey",
                 str(tmp_path / "main.py"), str(tmp_path / "helper.py"), stdout=out)
    assert capsysbinary.readouterr().out == b"HEY\n"
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert summary["status"] == "ok"
    assert summary["exit_code"] == 0
    assert summary["output_bytes"] == 4
    assert {"wall_ms", "cpu_ms", "peak_memory_kb", "signal"} <= set(summary)


@pytest.mark.sandbox
@pytest.mark.timeout(60)
def test_it_prints_the_result_on_a_line_of_its_own_after_output_without_a_newline(
    bwrap: RunTracker, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "main.py").write_text("print('xxxx', end='')\n")
    call_command("sandbox", "run", "--language", "python", str(tmp_path / "main.py"))
    out = capsysbinary.readouterr().out
    assert out.startswith(b"xxxx\n{"), out
    summary = json.loads(out.splitlines()[-1])
    assert (summary["status"], summary["output_bytes"]) == ("ok", 4)


@pytest.mark.sandbox
@pytest.mark.timeout(60)
def test_it_exits_non_zero_when_the_program_fails(bwrap: RunTracker, tmp_path: Path) -> None:
    (tmp_path / "main.c").write_text("int main(void) { return nope; }\n")
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("sandbox", "run", "--language", "c", str(tmp_path / "main.c"), stdout=out)
    assert exited.value.code == 1
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert summary["status"] == "compile-error"
    assert "nope" in summary["message"]


@pytest.mark.sandbox
@pytest.mark.timeout(60)
def test_it_keeps_the_files_relative_paths_as_a_students_run_would(
    bwrap: RunTracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text("def shout(s):\n    return s.upper()\n")
    (tmp_path / "main.py").write_text("import os\nfrom pkg.util import shout\n"
                                      "print(shout('ok'), sorted(os.listdir('pkg')))\n")
    monkeypatch.chdir(tmp_path)
    out = StringIO()
    call_command("sandbox", "run", "--language", "python", "main.py", "./pkg/util.py",
                 "pkg/__init__.py", stdout=out)
    assert capsysbinary.readouterr().out == b"OK ['__init__.py', 'util.py']\n"
    assert json.loads(out.getvalue().splitlines()[-1])["status"] == "ok"


def test_it_refuses_files_outside_the_root_and_unreadable_files(
    fake_sandbox: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "main.py").write_text("print(1)\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    with pytest.raises(CommandError, match="is not inside"):
        call_command("sandbox", "run", "--language", "python", "--root", ".", "../main.py")
    with pytest.raises(CommandError, match="invalid file name 'bad name.py'"):
        (tmp_path / "sub" / "bad name.py").write_text("")
        call_command("sandbox", "run", "--language", "python", "bad name.py")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("sandbox", "run", "--language", "python", "missing.py")


def test_it_fails_the_check_when_a_language_fails(fake_sandbox: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from coding import languages

    broken = dataclasses.replace(languages.LANGUAGES["c"], hello="FAKE:exit=3\n")
    monkeypatch.setitem(languages.LANGUAGES, "c", broken)
    out = StringIO()
    with pytest.raises(CommandError, match="1 language\\(s\\) failed on the fake backend"):
        call_command("sandbox", "check", stdout=out)
    rows = {line.split()[0]: line.split()[1] for line in language_rows(out.getvalue())}
    assert rows == {"python": "ok", "javascript": "ok", "typescript": "ok", "c": "runtime-error",
                    "cpp": "ok", "java": "ok"}


@pytest.mark.sandbox
@pytest.mark.timeout(60)
def test_it_fails_the_real_check_when_typescript_is_missing(
    bwrap: RunTracker, settings: object, tmp_path: Path
) -> None:
    settings.SANDBOX_RUNTIMES_DIR = str(tmp_path)  # type: ignore[attr-defined]
    out = StringIO()
    with pytest.raises(CommandError, match="1 language\\(s\\) failed on the bubblewrap backend"):
        call_command("sandbox", "check", "--language", "python", "--language", "typescript", stdout=out)
    rows = {line.split()[0]: line.split(maxsplit=3)[1:] for line in language_rows(out.getvalue())}
    assert rows["python"][0] == "ok"
    assert rows["typescript"][0] == "sandbox-error"
    assert "TypeScript is not installed" in rows["typescript"][2]
