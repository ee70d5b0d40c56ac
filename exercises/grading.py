"""Grading one submission: every selected test of an exercise in ONE sandboxed run.

    grade = await grade_submission(language="python", files=[("main.py", src)],
                                   cases=cases_of(exercise), which="all")
    grade.score, grade.max_score, grade.tests[0].passed, grade.as_dict(for_student=True)

The run's entry is our harness (``exercises/harness/observer_harness.py``, or a small
per-language shim that execs it), shipped with the student's files. The server sends
the cases' stdin and limits on the run's stdin, with a random nonce; the harness runs
the student's program once per case (a compiled language is compiled once, by the run's
compile step) and reports each case on one line framed with the nonce. Expected
outputs never enter the sandbox: they are compared here. The protocol, and what it
protects against, is in docs/exercises.md.

``run`` is the function that executes the batch (``coding.runner.run_batch`` by
default): a run service that owns queueing and limits passes its own, with the same
signature.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

from coding import runner
from coding.languages import expand_argv, get_language, heap_mb
from coding.runner import InvalidRun, Limits, RunResult, Status
from exercises import comparison, limits
from exercises.models import Exercise, TestCase, TestKind, TestVisibility

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
HARNESS = "observer_harness.py"
# The whole run: every case, every start-up, the compile step aside.
MAX_RUN_SECONDS = 120.0
# A unit-test file's time limit is per test; the run budgets this many tests per file.
UNIT_TESTS_BUDGETED = 10
STDERR_SHOWN = 2000
Which = Literal["sample", "all"]


class GradingError(ValueError):
    """The submission cannot be graded as asked (a language without a harness, a file
    named like the harness's, nothing to run): the caller's mistake, said plainly."""


class RunBatch(Protocol):
    def __call__(self, *, language: str, files: runner.FileInput, entry: str | None = ...,
                 stdin: bytes = ..., limits: Limits | None = ...) -> Awaitable[RunResult]: ...  # fmt: skip


@dataclasses.dataclass(frozen=True)
class CaseSpec:
    """What grading needs of one test, apart from the database."""

    id: str
    name: str
    kind: str
    visibility: str
    weight: int
    time_limit_ms: int
    stdin: str = ""
    expected_stdout: str = ""
    comparison: str = "trailing_whitespace"
    tolerance: float | None = None
    unit_files: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, test: TestCase) -> CaseSpec:
        return cls(
            id=str(test.pk), name=test.name, kind=test.kind, visibility=test.visibility, weight=test.weight,
            time_limit_ms=test.time_limit_ms, stdin=test.stdin, expected_stdout=test.expected_stdout,
            comparison=test.comparison, tolerance=test.tolerance, unit_files=dict(test.unit_files),
        )  # fmt: skip


def cases_of(exercise: Exercise) -> list[CaseSpec]:
    return [CaseSpec.of(test) for test in exercise.tests.order_by("order", "id")]


@dataclasses.dataclass(frozen=True)
class UnitOutcome:
    name: str
    passed: bool
    status: str
    message: str


@dataclasses.dataclass(frozen=True)
class TestOutcome:
    """One test's result. ``status``: passed, failed (wrong output or a failed
    assertion), timeout, runtime-error, output-limit, compile-error, error (the test
    could not run, e.g. no tests found in a unit file), not-run (the run ended first)."""

    __test__ = False

    id: str
    name: str
    kind: str
    visibility: str
    weight: int
    passed: bool
    status: str
    message: str = ""
    time_ms: int | None = None
    exit_code: int | None = None
    signal: int | None = None
    stdin: str = ""
    expected: str = ""
    stdout: str = ""
    stderr: str = ""
    difference: dict[str, object] | None = None
    unit_tests: tuple[UnitOutcome, ...] = ()

    @property
    def score(self) -> int:
        return self.weight if self.passed else 0

    def as_dict(self, *, for_student: bool) -> dict[str, Any]:
        """A hidden test shows a student only whether it passed and how it ended: no
        input, expected or actual output, message or name."""
        if for_student and self.visibility == TestVisibility.HIDDEN:
            return {"id": self.id, "kind": self.kind, "visibility": self.visibility, "weight": self.weight,
                    "passed": self.passed, "status": self.status, "score": self.score}  # fmt: skip
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        data["unit_tests"] = [dataclasses.asdict(unit) for unit in self.unit_tests]
        data["score"] = self.score
        return data


@dataclasses.dataclass(frozen=True)
class Grade:
    """``status``: graded (every selected test ran or was accounted for),
    compile-error, or error (the run ended before the harness finished: the sandbox
    failed or the program killed the harness; unreported tests are not-run)."""

    status: str
    score: int
    max_score: int
    tests: tuple[TestOutcome, ...]
    run: dict[str, object]
    message: str = ""

    @property
    def all_passed(self) -> bool:
        return bool(self.tests) and all(test.passed for test in self.tests)

    def as_dict(self, *, for_student: bool) -> dict[str, Any]:
        run = {key: self.run[key] for key in ("status", "wall_ms", "cpu_ms")} if for_student else dict(self.run)
        return {
            "status": self.status, "score": self.score, "max_score": self.max_score,
            "passed": sum(test.passed for test in self.tests), "total": len(self.tests),
            "message": self.message, "run": run,
            "tests": [test.as_dict(for_student=for_student) for test in self.tests],
        }  # fmt: skip


# --- languages ---------------------------------------------------------------------------


@cache
def harness_file(name: str) -> str:
    return (HARNESS_DIR / name).read_text(encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class Plan:
    files: list[tuple[str, str]]
    entry: str
    cases: list[dict[str, Any]]


Planner = Callable[[list[tuple[str, str]], str, Sequence[CaseSpec], Limits], Plan]


def _student_entry(files: Sequence[tuple[str, str]], entry: str | None) -> str:
    return entry or files[0][0]


def _student_argv(language: str, files: Sequence[tuple[str, str]], entry: str, run_limits: Limits) -> list[str]:
    """The student's program as the language runs it (its run step's argv), started by
    the harness once per case."""
    lang = get_language(language)
    return list(expand_argv(lang.run, language=lang, file_names=[name for name, _ in files], entry=entry,
                            limits=run_limits))  # fmt: skip


def _plan_python(files: list[tuple[str, str]], entry: str, cases: Sequence[CaseSpec], run_limits: Limits) -> Plan:
    wire = []
    runner_argv = ["/usr/bin/python3", "-u", "observer_pyunit.py"]
    for case in cases:
        if case.kind == TestKind.IO:
            wire.append(_io_wire(case, _student_argv("python", files, entry, run_limits)))
        else:
            test = case.unit_files["python"]
            wire.append(_unit_wire(case, [*runner_argv, "list", test["name"]],
                                   [*runner_argv, "run", test["name"], "{name}"], source=test["content"]))  # fmt: skip
    shipped = [(HARNESS, harness_file(HARNESS)), ("observer_pyunit.py", harness_file("observer_pyunit.py"))]
    return Plan(files=[*shipped, *files], entry=HARNESS, cases=wire)


def _plan_c_family(language: str, shim: str) -> Planner:
    def plan(files: list[tuple[str, str]], entry: str, cases: Sequence[CaseSpec], run_limits: Limits) -> Plan:
        # One compile makes one binary of the student's files (unchanged), the shim and
        # the unit tests: the shim's constructor runs before main() and makes the binary
        # the harness's launcher, a unit-test runner, or (OBSERVER_STUDENT=1) the
        # student's program.
        wire, tests = [], []
        for case in cases:
            if case.kind == TestKind.IO:
                wire.append({**_io_wire(case, _student_argv(language, files, entry, run_limits)),
                             "env": {"OBSERVER_STUDENT": "1"}})  # fmt: skip
            else:
                test = case.unit_files[language]
                tests.append((test["name"], test["content"]))
                wire.append(_unit_wire(case, ["/build/main", "--observer-list", test["name"]],
                                       ["/build/main", "--observer-run", test["name"], "{name}"]))  # fmt: skip
        shipped = [(HARNESS, harness_file(HARNESS)), (shim, harness_file(shim)),
                   ("observer_unit.h", harness_file("observer_unit.h"))]  # fmt: skip
        return Plan(files=[*files, *shipped, *tests], entry=entry, cases=wire)

    return plan


def _plan_node(language: str) -> Planner:
    """JavaScript, and TypeScript once compiled: the run's entry is a node shim that
    starts the harness; unit tests run on node:test through observer_jsunit.js."""
    typescript = language == "typescript"
    shim = "observer_harness.ts" if typescript else "observer_harness.js"

    def plan(files: list[tuple[str, str]], entry: str, cases: Sequence[CaseSpec], run_limits: Limits) -> Plan:
        node = ["/usr/bin/node", f"--max-old-space-size={heap_mb(run_limits)}"]
        reporter = ["--test-reporter=./observer_jsreporter.mjs", "--test-reporter-destination=/proc/self/fd/3"]
        wire, tests = [], []
        for case in cases:
            if case.kind == TestKind.IO:
                wire.append(_io_wire(case, _student_argv(language, files, entry, run_limits)))
                continue
            test = case.unit_files[language]
            if typescript:  # compiled with the student's files; the runner reads the output
                tests.append((test["name"], test["content"]))
                target, source = "/build/" + test["name"].rsplit(".", 1)[0] + ".js", ""
            else:
                target, source = test["name"], test["content"]
            wire.append(_unit_wire(case, [*node, "observer_jsunit.js", "list", target],
                                   [*node, *reporter, "observer_jsunit.js", "run", target, "{name}"],
                                   source=source))  # fmt: skip
        shipped = [(shim, harness_file(shim)), (HARNESS, harness_file(HARNESS)),
                   ("observer_jsunit.js", harness_file("observer_jsunit.js")),
                   ("observer_jsreporter.mjs", harness_file("observer_jsreporter.mjs"))]  # fmt: skip
        return Plan(files=[*shipped, *files, *tests], entry=shim, cases=wire)

    return plan


JUNIT = ("org/junit/Test.java", "org/junit/Assert.java")


def _plan_java(files: list[tuple[str, str]], entry: str, cases: Sequence[CaseSpec], run_limits: Limits) -> Plan:
    """The run's entry is a shim class that starts the harness (a JVM cannot exec); each
    case starts the student's class in a JVM of its own, each unit test too, through
    observer_Unit and JUnit 4's names (org.junit.Test, org.junit.Assert), shipped."""
    lang = get_language("java")
    names = [name for name, _ in files]
    unit_runner = list(expand_argv(lang.run, language=lang, file_names=names, entry="observer_Unit.java",
                                   limits=run_limits))  # fmt: skip
    wire, tests = [], []
    for case in cases:
        if case.kind == TestKind.IO:
            wire.append(_io_wire(case, _student_argv("java", files, entry, run_limits)))
            continue
        test = case.unit_files["java"]
        tests.append((test["name"], test["content"]))
        test_class = test["name"].rsplit(".", 1)[0].replace("/", ".")
        wire.append(_unit_wire(case, [*unit_runner, "list", test_class], [*unit_runner, "run", test_class, "{name}"]))
    shipped = ["observer_Harness.java", HARNESS, *(("observer_Unit.java", *JUNIT) if tests else ())]
    return Plan(files=[*((name, harness_file(name)) for name in shipped), *files, *tests],
                entry="observer_Harness.java", cases=wire)  # fmt: skip


PLANNERS: dict[str, Planner] = {
    "python": _plan_python,
    "c": _plan_c_family("c", "observer_shim.c"),
    "cpp": _plan_c_family("cpp", "observer_shim.cpp"),
    "javascript": _plan_node("javascript"),
    "typescript": _plan_node("typescript"),
    "java": _plan_java,
}
SUPPORTED_LANGUAGES = tuple(PLANNERS)


def _io_wire(case: CaseSpec, argv: list[str]) -> dict[str, Any]:
    cap = 2 * len(case.expected_stdout.encode("utf-8")) + 64 * 1024
    return {"id": case.id, "kind": "io", "argv": argv, "stdin": case.stdin, "time_limit_ms": case.time_limit_ms,
            "output_cap": cap}  # fmt: skip


def _unit_wire(case: CaseSpec, list_argv: list[str], run_argv: list[str], source: str = "") -> dict[str, Any]:
    return {"id": case.id, "kind": "unit", "list_argv": list_argv, "run_argv": run_argv, "source": source,
            "time_limit_ms": case.time_limit_ms}  # fmt: skip


def select(cases: Iterable[CaseSpec], *, language: str, which: Which) -> list[CaseSpec]:
    """The tests a grading runs, samples first: a hidden case runs after every sample,
    so nothing it saw can reach an output a student is shown. Unit tests without a file
    for this language do not apply."""
    chosen = [case for case in cases if which == "all" or case.visibility == TestVisibility.SAMPLE]
    chosen = [case for case in chosen if case.kind == TestKind.IO or language in case.unit_files]
    return sorted(chosen, key=lambda case: case.visibility != TestVisibility.SAMPLE)


def run_limits(language: str, cases: Sequence[CaseSpec], base: Limits | None = None) -> Limits:
    """The run's budget: every case's time limit (a unit file's times the tests it may
    hold), a start-up allowance per process, and room for every case's output."""
    base = base or runner.default_limits(language)
    startup = 1.5 if language == "java" else 0.5
    seconds = 5.0
    output = 64 * 1024
    for case in cases:
        processes = 1 if case.kind == TestKind.IO else UNIT_TESTS_BUDGETED + 1
        seconds += processes * (case.time_limit_ms / 1000 + startup)
        output += 2 * len(case.expected_stdout.encode("utf-8")) * 4 // 3 + 96 * 1024 * processes
    seconds = min(seconds, MAX_RUN_SECONDS)
    return base.replace(wall_seconds=seconds, cpu_seconds=seconds, output_bytes=max(base.output_bytes, output))


# --- grading -----------------------------------------------------------------------------


async def grade_submission(
    *,
    language: str,
    files: Sequence[tuple[str, str]],
    cases: Iterable[CaseSpec],
    which: Which = "all",
    entry: str | None = None,
    base_limits: Limits | None = None,
    run: RunBatch = runner.run_batch,
) -> Grade:
    """Run the selected tests of one submission in one sandboxed run and score them."""
    try:
        lang = get_language(language).name
    except InvalidRun as error:
        raise GradingError(str(error)) from error
    planner = PLANNERS.get(lang)
    if planner is None:
        raise GradingError(f"Automatic tests do not support {lang} yet; supported: {', '.join(SUPPORTED_LANGUAGES)}.")
    files = [(name, content) for name, content in files]
    if not files:
        raise GradingError("There are no files to grade.")
    for name, _ in files:
        if name.rsplit("/", 1)[-1].startswith(limits.RESERVED_PREFIX):
            raise GradingError(f"File names starting with {limits.RESERVED_PREFIX!r} are reserved for the tests.")
    try:  # the submission alone, as a run would check it (names, sizes, the entry)
        runner.prepare_sources(files, entry, get_language(lang), base_limits or runner.default_limits(lang))
    except InvalidRun as error:
        raise GradingError(str(error)) from error
    selected = select(cases, language=lang, which=which)
    if not selected:
        raise GradingError("This exercise has no tests to run here.")
    budget = run_limits(lang, selected, base_limits)
    plan = planner(files, _student_entry(files, entry), selected, budget)
    nonce = secrets.token_hex(16)
    config = json.dumps({"nonce": nonce, "cases": plan.cases}).encode("utf-8")
    try:
        result = await run(language=lang, files=plan.files, entry=plan.entry, stdin=config, limits=budget)
    except InvalidRun as error:
        raise GradingError(str(error)) from error
    return _score(selected, result, nonce)


def _frames(stdout: bytes, nonce: str) -> tuple[dict[str, dict[str, Any]], bool]:
    """The harness's reports: lines that start with the nonce (nothing else counts)."""
    frames: dict[str, dict[str, Any]] = {}
    done = False
    prefix = nonce + " "
    for line in stdout.decode("utf-8", "replace").split("\n"):
        if not line.startswith(prefix):
            continue
        try:
            frame = json.loads(line[len(prefix) :])
        except ValueError:
            continue
        if not isinstance(frame, dict):
            continue
        if frame.get("done") is True:
            done = True
        elif isinstance(frame.get("case"), str):
            frames.setdefault(frame["case"], frame)
    return frames, done


def _score(cases: Sequence[CaseSpec], result: RunResult, nonce: str) -> Grade:
    summary = result.summary()
    if result.status == Status.COMPILE_ERROR:
        outcomes = tuple(
            _outcome(case, status="compile-error", message="The program did not compile.") for case in cases
        )
        return Grade("compile-error", 0, _max(cases), outcomes, summary, result.message)
    frames, done = _frames(result.stdout, nonce)
    ended = f"The run ended before this test ({result.status}: {result.message})."
    outcomes = tuple(
        _from_frame(case, frames[case.id]) if case.id in frames else _outcome(case, status="not-run", message=ended)
        for case in cases
    )
    status = "graded" if done else "error"
    message = "" if done else ended.replace("this test", "every test had run")
    return Grade(status, sum(o.score for o in outcomes), _max(cases), outcomes, summary, message)


def _max(cases: Sequence[CaseSpec]) -> int:
    return sum(case.weight for case in cases)


def _outcome(case: CaseSpec, **fields: Any) -> TestOutcome:
    base = {"id": case.id, "name": case.name, "kind": case.kind, "visibility": case.visibility,
            "weight": case.weight, "passed": False}  # fmt: skip
    if case.kind == TestKind.IO:
        base.update(stdin=case.stdin, expected=case.expected_stdout)
    return TestOutcome(**{**base, **fields})


def _from_frame(case: CaseSpec, frame: dict[str, Any]) -> TestOutcome:
    stderr = str(frame.get("stderr") or "")[-STDERR_SHOWN:]
    common = {"time_ms": _int(frame.get("ms")), "exit_code": _int(frame.get("exit_code")),
              "signal": _int(frame.get("signal")), "stderr": stderr}  # fmt: skip
    status = str(frame.get("status") or "error")
    if case.kind == TestKind.UNIT:
        units = tuple(
            UnitOutcome(
                name=str(t.get("name")),
                passed=t.get("passed") is True,
                status=str(t.get("status") or ""),
                message=str(t.get("message") or "")[:STDERR_SHOWN],
            )  # fmt: skip
            for t in frame.get("tests") or []
            if isinstance(t, dict)
        )
        passed = status == "ok" and bool(units) and all(unit.passed for unit in units)
        failing = next((unit for unit in units if not unit.passed), None)
        message = str(frame.get("message") or "") or (f"{failing.name}: {failing.message}" if failing else "")
        return _outcome(case, passed=passed, status="passed" if passed else ("failed" if status == "ok" else status),
                        message=message[:STDERR_SHOWN], unit_tests=units, **common)  # fmt: skip
    try:
        output = base64.b64decode(str(frame.get("stdout") or ""), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        output = ""
        status = "error"
    if status == "ok":
        passed = comparison.matches(output=output, expected=case.expected_stdout, comparison=case.comparison,
                                    tolerance=case.tolerance)  # fmt: skip
        difference = None if passed else comparison.first_difference(output=output, expected=case.expected_stdout)
        return _outcome(case, passed=passed, status="passed" if passed else "failed", stdout=output,
                        difference=difference, message="" if passed else "The output differs from the expected output.",
                        **common)  # fmt: skip
    ended_by = f"Killed by signal {common['signal']}." if common["signal"] is not None else ""
    exited = f"Exited with code {common['exit_code']}."
    messages = {
        "timeout": f"Took longer than {case.time_limit_ms} ms.",
        "output-limit": "Printed far more than the expected output.",
        "runtime-error": _last_line(stderr) or ended_by or exited,
    }
    message = messages.get(status, str(frame.get("message") or "The test could not run."))
    return _outcome(case, status=status, stdout=output, message=message, **common)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
