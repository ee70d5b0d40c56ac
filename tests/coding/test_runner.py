"""The runner's pure parts: validation, limits from settings, status classification."""

from __future__ import annotations

import signal

import pytest

from coding import runner
from coding.languages import LANGUAGES, expand_argv, get_language, heap_mb
from coding.sandbox import SandboxUnavailable, get_backend, make_backend
from coding.sandbox.base import Limits, Status, StepOutcome


def outcome(**fields: object) -> StepOutcome:
    values: dict[str, object] = {"exit_code": 0, "signal": None, "wall_ms": 5, "cpu_ms": 1,
                                 "peak_memory_kb": 1}
    values.update(fields)
    return StepOutcome(**values)  # type: ignore[arg-type]


def classify(result: StepOutcome, reason: str | None = None, stderr: bytes = b"",
             language: str = "python") -> Status:
    return runner.classify(result, reason, Limits(), get_language(language), stderr)[0]


def test_it_maps_every_way_a_run_ends_to_one_status() -> None:
    assert classify(outcome()) == Status.OK
    assert classify(outcome(exit_code=2)) == Status.RUNTIME_ERROR
    assert classify(outcome(exit_code=None, signal=signal.SIGSEGV)) == Status.RUNTIME_ERROR
    assert classify(outcome(exit_code=None, signal=signal.SIGXFSZ)) == Status.RUNTIME_ERROR
    assert classify(outcome(exit_code=None, signal=signal.SIGXCPU)) == Status.TIMEOUT
    assert classify(outcome(exit_code=None, signal=9, cpu_exceeded=True)) == Status.TIMEOUT
    assert classify(outcome(exit_code=None, signal=9, oom_killed=True)) == Status.MEMORY_LIMIT
    assert classify(outcome(exit_code=1), stderr=b"Exception in thread \"main\" "
                    b"java.lang.OutOfMemoryError: Java heap space", language="java") == Status.MEMORY_LIMIT
    assert classify(outcome(exit_code=None, signal=9), "output") == Status.OUTPUT_LIMIT
    assert classify(outcome(exit_code=None, signal=9), "timeout") == Status.TIMEOUT
    assert classify(outcome(exit_code=None, signal=9), "idle") == Status.TIMEOUT
    assert classify(outcome(exit_code=None, signal=9), "killed") == Status.KILLED
    assert classify(outcome(sandbox_error="bwrap failed")) == Status.SANDBOX_ERROR


@pytest.mark.parametrize(
    ("files", "entry", "message"),
    [
        ([], None, "no files"),
        ([("../x.py", "")], None, "invalid file name"),
        ([("/etc/passwd", "")], None, "invalid file name"),
        ([("a/./b.py", "")], None, "invalid file name"),
        ([("a b.py", "")], None, "invalid file name"),
        ([("a.py\n", "")], None, "invalid file name"),
        ([("main.py", ""), ("main.py", "")], None, "duplicate"),
        ([("main.py", "")], "other.py", "not among the files"),
        ([("main.py", "x" * (1024 * 1024 + 1))], None, "source too large"),
    ],
)
def test_it_rejects_malformed_submissions(files: list[tuple[str, str]], entry: str | None,
                                         message: str) -> None:
    with pytest.raises(runner.InvalidRun, match=message):
        runner.prepare_sources(files, entry, get_language("python"), Limits())


def test_it_puts_the_entry_first_and_accepts_subdirectories() -> None:
    sources = runner.prepare_sources(
        [("util/helpers.py", b"x"), ("app.py", "print(1)")], "app.py", get_language("python"), Limits()
    )
    assert [s.name for s in sources] == ["app.py", "util/helpers.py"]
    assert sources[0].content == b"print(1)"


def test_it_rejects_a_compiled_entry_with_the_wrong_suffix() -> None:
    with pytest.raises(runner.InvalidRun, match="must end with"):
        runner.prepare_sources([("main.py", "")], None, get_language("c"), Limits())


def test_it_knows_aliases_and_refuses_unknown_languages() -> None:
    assert get_language("TS").name == "typescript"
    assert get_language("c++").name == "cpp"
    with pytest.raises(runner.InvalidRun, match="unknown language 'cobol'"):
        get_language("cobol")


def test_it_layers_limits_from_settings(settings: object) -> None:
    settings.SANDBOX_LIMITS = {"memory_bytes": 128 * 1024 * 1024, "wall_seconds": 7}  # type: ignore[attr-defined]
    settings.SANDBOX_LANGUAGE_LIMITS = {"python": {"cpu_seconds": 2}}  # type: ignore[attr-defined]
    python = runner.default_limits("python")
    assert (python.memory_bytes, python.wall_seconds, python.cpu_seconds) == (128 * 1024 * 1024, 7, 2)
    # Java's own override (512 MB) sits above the global setting.
    assert runner.default_limits("java").memory_bytes == 512 * 1024 * 1024
    interactive = runner.default_limits("python", interactive=True)
    assert (interactive.wall_seconds, interactive.idle_seconds) == (1800, 300)
    compile_limits = runner.compile_limits("cpp")
    assert compile_limits.wall_seconds == 30 and compile_limits.memory_bytes == 512 * 1024 * 1024


def test_it_refuses_unknown_limit_names(settings: object) -> None:
    settings.SANDBOX_LIMITS = {"memroy": 1}  # type: ignore[attr-defined]
    with pytest.raises(runner.InvalidRun, match="unknown limit names: memroy"):
        runner.default_limits("python")


def test_it_has_the_issue_defaults() -> None:
    limits = Limits()
    assert (limits.wall_seconds, limits.cpu_seconds, limits.memory_bytes) == (10, 5, 256 * 1024 * 1024)
    assert (limits.max_processes, limits.output_bytes) == (64, 1024 * 1024)
    assert (limits.file_size_bytes, limits.source_bytes) == (10 * 1024 * 1024, 1024 * 1024)


def test_it_expands_argv_templates_per_language() -> None:
    java = LANGUAGES["java"]
    limits = Limits(memory_bytes=512 * 1024 * 1024)
    argv = expand_argv(java.run, language=java, file_names=["Main.java", "Util.java"],
                       entry="Main.java", limits=limits)
    assert argv[-3:] == ("-cp", "/build", "Main")
    assert f"-Xmx{heap_mb(limits)}m" in argv
    compile_argv = expand_argv(java.compile or (), language=java, file_names=["Main.java", "Util.java"],
                               entry="Main.java", limits=limits)
    assert compile_argv[-2:] == ("Main.java", "Util.java")
    c = LANGUAGES["c"]
    assert expand_argv(c.compile or (), language=c, file_names=["main.c", "notes.txt", "lib.c"],
                       entry="main.c", limits=limits)[-3:] == ("main.c", "lib.c", "-lm")


def test_it_never_runs_unsandboxed_without_the_loud_setting(settings: object) -> None:
    settings.SANDBOX_BACKEND = "unsandboxed"  # type: ignore[attr-defined]
    with pytest.raises(SandboxUnavailable, match="SANDBOX_ALLOW_UNSANDBOXED_DEVELOPMENT_ONLY"):
        make_backend("unsandboxed")
    with pytest.raises(SandboxUnavailable, match="unknown SANDBOX_BACKEND"):
        get_backend("chroot")


def test_it_refuses_runs_with_a_message_when_the_backend_is_missing(settings: object) -> None:
    from coding.sandbox import reset_backends

    settings.SANDBOX_BACKEND = "bubblewrap"  # type: ignore[attr-defined]
    settings.SANDBOX_BWRAP = "/nonexistent/bwrap"  # type: ignore[attr-defined]
    reset_backends()
    try:
        with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
            get_backend("bubblewrap")
        status = runner.backend_status()
        assert status["backend"] == "bubblewrap"
        assert status["available"] is False
        assert "apt-get install bubblewrap" in str(status["message"])
    finally:
        reset_backends()
