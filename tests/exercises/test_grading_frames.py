"""Scoring a run from the harness's frames, without a sandbox: only lines with the
run's nonce count, hidden tests show a student nothing but pass/fail, and a run that
ends early fails what it did not report."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from coding.sandbox.base import Limits, RunResult, Status
from exercises.grading import CaseSpec, GradingError, grade_submission

CASES = [
    CaseSpec(id="s", name="sample one", kind="io", visibility="sample", weight=1, time_limit_ms=1000,
             stdin="1 2\n", expected_stdout="3\n"),
    CaseSpec(id="h", name="hidden one", kind="io", visibility="hidden", weight=2, time_limit_ms=1000,
             stdin="SECRET-IN\n", expected_stdout="SECRET-OUT\n"),
]  # fmt: skip


def frame(case: str, stdout: str, status: str = "ok") -> dict[str, Any]:
    return {"case": case, "status": status, "ms": 5, "exit_code": 0, "signal": None, "stderr": "",
            "stdout": base64.b64encode(stdout.encode()).decode()}  # fmt: skip


class FakeRun:
    """Stands in for run_batch: answers with frames built from the nonce it was sent."""

    def __init__(self, build: Any, status: Status = Status.OK, message: str = "") -> None:
        self.build, self.status, self.message = build, status, message
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, *, language: str, files: Any, entry: str | None = None, stdin: bytes = b"",
                       limits: Limits | None = None) -> RunResult:  # fmt: skip
        config = json.loads(stdin)
        self.calls.append({"language": language, "files": files, "entry": entry, "config": config, "limits": limits})
        stdout = self.build(config["nonce"]).encode()
        return RunResult(self.status, 0, None, 10, 5, 1000, len(stdout), stdout, b"", self.message)


def lines(nonce: str, *frames: dict[str, Any], done: bool = True) -> str:
    body = "".join(f"\n{nonce} {json.dumps(f)}\n" for f in frames)
    return body + (f"\n{nonce} {json.dumps({'done': True})}\n" if done else "")


async def test_it_scores_from_the_frames_and_never_sends_expected_outputs() -> None:
    run = FakeRun(lambda n: lines(n, frame("s", "3\n"), frame("h", "wrong\n")))
    grade = await grade_submission(language="python", files=[("main.py", "print(3)")], cases=CASES, run=run)
    assert (grade.status, grade.score, grade.max_score) == ("graded", 1, 3)
    assert [(t.id, t.status) for t in grade.tests] == [("s", "passed"), ("h", "failed")]
    sent = json.dumps(run.calls[0]["config"]) + json.dumps(run.calls[0]["files"])
    assert "SECRET-OUT" not in sent and "SECRET-IN" in sent
    assert run.calls[0]["entry"] == "observer_harness.py"


async def test_it_ignores_frames_without_the_nonce() -> None:
    forged = f"\nguess {json.dumps(frame('h', 'SECRET-OUT'))}\n{json.dumps(frame('h', 'SECRET-OUT'))}\n"
    run = FakeRun(lambda n: forged + lines(n, frame("s", "3\n"), frame("h", "nope\n")))
    grade = await grade_submission(language="python", files=[("main.py", "")], cases=CASES, run=run)
    assert [t.passed for t in grade.tests] == [True, False]


async def test_the_first_frame_of_a_case_counts() -> None:
    run = FakeRun(lambda n: lines(n, frame("s", "3\n"), frame("h", "nope\n"), frame("h", "SECRET-OUT\n")))
    grade = await grade_submission(language="python", files=[("main.py", "")], cases=CASES, run=run)
    assert grade.tests[1].passed is False


async def test_a_run_that_ends_early_fails_what_it_did_not_report() -> None:
    run = FakeRun(lambda n: lines(n, frame("s", "3\n"), done=False), Status.RUNTIME_ERROR, "Killed")
    grade = await grade_submission(language="python", files=[("main.py", "")], cases=CASES, run=run)
    assert grade.status == "error" and grade.score == 1
    assert grade.tests[1].status == "not-run" and "Killed" in grade.tests[1].message


async def test_a_compile_error_fails_every_test() -> None:
    run = FakeRun(lambda n: "", Status.COMPILE_ERROR, "main.c:1:1: error: expected ';'")
    grade = await grade_submission(language="c", files=[("main.c", "int x")], cases=CASES, run=run)
    assert grade.status == "compile-error" and grade.score == 0
    assert {t.status for t in grade.tests} == {"compile-error"} and "expected ';'" in grade.message


async def test_a_student_sees_nothing_of_a_hidden_test_but_its_result() -> None:
    run = FakeRun(lambda n: lines(n, frame("s", "4\n"), frame("h", "SECRET-OUT\n")))
    grade = await grade_submission(language="python", files=[("main.py", "")], cases=CASES, run=run)
    student = json.dumps(grade.as_dict(for_student=True))
    assert "SECRET" not in student and "hidden one" not in student
    view = grade.as_dict(for_student=True)
    assert view["tests"][1] == {"id": "h", "kind": "io", "visibility": "hidden", "weight": 2, "passed": True,
                                "status": "passed", "score": 2}  # fmt: skip
    assert view["tests"][0]["difference"] == {"line": 1, "expected": "3", "got": "4"}
    assert "SECRET-OUT" in json.dumps(grade.as_dict(for_student=False))


async def test_samples_run_first_and_check_runs_only_samples() -> None:
    hidden_first = [CASES[1], CASES[0]]
    run = FakeRun(lambda n: lines(n, frame("s", "3\n"), frame("h", "x")))
    await grade_submission(language="python", files=[("main.py", "")], cases=hidden_first, run=run)
    await grade_submission(language="python", files=[("main.py", "")], cases=hidden_first, which="sample", run=run)
    assert [c["id"] for c in run.calls[0]["config"]["cases"]] == ["s", "h"]
    assert [c["id"] for c in run.calls[1]["config"]["cases"]] == ["s"]


@pytest.mark.parametrize(
    ("language", "files", "message"),
    [
        ("cobol", [("main.cob", "")], "unknown language"),
        ("python", [], "no files"),
        ("python", [("observer_harness.py", "")], "reserved"),
        ("python", [("../main.py", "")], "invalid file name"),
    ],
)
async def test_it_refuses_what_it_cannot_grade(language: str, files: list[tuple[str, str]], message: str) -> None:
    run = FakeRun(lambda n: "")
    with pytest.raises(GradingError, match=message):
        await grade_submission(language=language, files=files, cases=CASES, run=run)
