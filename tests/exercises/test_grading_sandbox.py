"""Grading in the real sandbox: one run per submission, per language, and a student's
program that tries to cheat.

Each grading is one bubblewrap run (the harness loops over the cases inside it); the
cases' expected outputs stay on the server.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from coding import runner
from exercises.grading import CaseSpec, Grade, grade_submission

pytestmark = pytest.mark.sandbox


def io(case_id: str, stdin: str, expected: str, visibility: str = "sample", **extra: Any) -> CaseSpec:
    return CaseSpec(id=case_id, name=case_id, kind="io", visibility=visibility, weight=1, time_limit_ms=3000,
                    stdin=stdin, expected_stdout=expected, **extra)  # fmt: skip


def unit(case_id: str, language: str, name: str, content: str, visibility: str = "sample") -> CaseSpec:
    return CaseSpec(id=case_id, name=case_id, kind="unit", visibility=visibility, weight=2, time_limit_ms=3000,
                    unit_files={language: {"name": name, "content": content}})  # fmt: skip


def by_id(grade: Grade) -> dict[str, Any]:
    return {test.id: test for test in grade.tests}


SUM_CASES = [io("small", "2 3\n", "5\n"), io("hidden", "10 20\n", "30\n", "hidden"), io("wrong", "1 1\n", "3\n")]

PYTHON = """\
def add(a, b):
    return a + b

if __name__ == "__main__":
    a, b = map(int, input().split())
    print(add(a, b))
"""
PYTHON_TESTS = """\
import pytest
from main import add

def test_small():
    assert add(2, 3) == 5

def test_wrong():
    assert add(2, 2) == 5, "two and two"

def test_raises():
    with pytest.raises(TypeError):
        add(1, "x")

def test_crash():
    import os
    os.abort()
"""

C = """\
#include <stdio.h>
int add(int a, int b) { return a + b; }
int main(void) {
    int a, b;
    if (scanf("%d %d", &a, &b) != 2) return 1;
    printf("%d\\n", add(a, b));
    return 0;
}
"""
C_TESTS = """\
#include <stdlib.h>
#include "observer_unit.h"
int add(int a, int b);
TEST(small) { CHECK_EQ_INT(add(2, 3), 5); }
TEST(wrong) { CHECK_EQ_INT(add(2, 2), 5); }
TEST(crash) { abort(); }
"""

CPP = """\
#include <iostream>
int add(int a, int b) { return a + b; }
int main() {  // no return: main's implicit 0 must hold
    int a, b;
    std::cin >> a >> b;
    std::cout << add(a, b) << std::endl;
}
"""
CPP_TESTS = """\
#include <string>
#include "observer_unit.h"
int add(int a, int b);
TEST(small) { CHECK_EQ_STR(std::to_string(add(2, 3)), "5"); }
TEST(wrong) { CHECK_EQ_INT(add(2, 2), 5); }
"""

JAVA = """\
import java.util.Scanner;
public class Main {
    static int add(int a, int b) { return a + b; }
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        System.out.println(add(in.nextInt(), in.nextInt()));
    }
}
"""
JAVA_TESTS = """\
import org.junit.Test;
import static org.junit.Assert.*;
public class MainTest {
    @Test public void small() { assertEquals(5, Main.add(2, 3)); }
    @Test public void wrong() { assertEquals(5, Main.add(2, 2)); }
    @Test public void crash() { String nothing = null; nothing.length(); }
}
"""

TYPESCRIPT = """\
import * as fs from "fs";
export function add(a: number, b: number): number {
    return a + b;
}
if (require.main === module) {
    const [a, b]: number[] = fs.readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);
    console.log(add(a, b));
}
"""
TYPESCRIPT_TESTS = """\
import { test } from "node:test";
import * as assert from "node:assert";
import { add } from "./main";
test("small", () => assert.strictEqual(add(2, 3), 5));
test("wrong", () => assert.strictEqual(add(2, 2), 5));
"""

JAVASCRIPT = """\
const add = (a, b) => a + b;
exports.add = add;
if (require.main === module) {
  const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);
  console.log(add(a, b));
}
"""
JAVASCRIPT_TESTS = """\
const test = require("node:test");
const assert = require("node:assert");
const { add } = require("./main");
test("small", () => assert.strictEqual(add(2, 3), 5));
test("wrong", () => assert.strictEqual(add(2, 2), 5));
"""

LANGUAGES = {
    "python": (
        [("main.py", PYTHON)],
        "test_main.py",
        PYTHON_TESTS,
        {"small": "passed", "wrong": "failed", "raises": "passed", "crash": "runtime-error"},
    ),
    "c": ([("main.c", C)], "test_main.c", C_TESTS, {"small": "passed", "wrong": "failed", "crash": "runtime-error"}),
    "javascript": ([("main.js", JAVASCRIPT)], "test_main.js", JAVASCRIPT_TESTS, {"small": "passed", "wrong": "failed"}),
    "cpp": ([("main.cpp", CPP)], "test_main.cpp", CPP_TESTS, {"small": "passed", "wrong": "failed"}),
    "typescript": ([("main.ts", TYPESCRIPT)], "test_main.ts", TYPESCRIPT_TESTS, {"small": "passed", "wrong": "failed"}),
    "java": ([("Main.java", JAVA)], "MainTest.java", JAVA_TESTS, {"small": "passed", "wrong": "failed",
                                                                  "crash": "failed"}),
}  # fmt: skip


@pytest.mark.parametrize("language", list(LANGUAGES))
async def test_it_grades_io_cases_and_unit_tests_in_one_run(language: str) -> None:
    files, test_name, test_source, unit_expected = LANGUAGES[language]
    cases = [*SUM_CASES, unit("unit", language, test_name, test_source)]
    grade = await grade_submission(language=language, files=files, cases=cases)
    assert grade.status == "graded", grade
    tests = by_id(grade)
    assert (tests["small"].status, tests["hidden"].status, tests["wrong"].status) == ("passed", "passed", "failed")
    assert tests["wrong"].stdout == "2\n" and tests["wrong"].difference == {"line": 1, "expected": "3", "got": "2"}
    units = {u.name.removeprefix("test_"): u for u in tests["unit"].unit_tests}
    assert {name: ("passed" if u.passed else u.status) for name, u in units.items()} == unit_expected
    assert "5" in units["wrong"].message
    assert tests["unit"].status == "failed" and (grade.score, grade.max_score) == (2, 5)


@pytest.mark.parametrize("language", list(LANGUAGES))
async def test_a_correct_solution_passes_everything(language: str) -> None:
    files = LANGUAGES[language][0]
    cases = [
        io("small", "2 3\n", "5\n"),
        io("numeric", "1 1\n", "2.0001", "hidden", comparison="numeric", tolerance=0.01),
        io("regex", "40 2\n", r"4\d", comparison="regex"),
    ]
    grade = await grade_submission(language=language, files=files, cases=cases)
    assert grade.all_passed and grade.score == grade.max_score == 3, grade


async def test_it_ends_a_slow_case_at_its_limit_and_runs_the_next() -> None:
    program = "import sys, time\nline = input()\nif line == 'slow':\n    time.sleep(30)\nprint(line)\n"
    cases = [io("slow", "slow\n", "slow\n"), io("fast", "fast\n", "fast\n")]
    cases[0] = CaseSpec(**{**cases[0].__dict__, "time_limit_ms": 500})
    grade = await grade_submission(language="python", files=[("main.py", program)], cases=cases)
    assert [(t.id, t.status) for t in grade.tests] == [("slow", "timeout"), ("fast", "passed")]


async def test_a_compile_error_is_reported_once_for_every_test() -> None:
    grade = await grade_submission(language="c", files=[("main.c", "int main(void) { return x; }\n")], cases=SUM_CASES)
    assert grade.status == "compile-error" and "x" in grade.message
    assert {t.status for t in grade.tests} == {"compile-error"}


# --- a student's program that tries to cheat -------------------------------------------------

HOSTILE = r"""
import base64, json, os, signal, subprocess, sys, time

mode = sys.stdin.readline().strip()
me = os.getpid()
found = []
# The hidden case's input and expected output, spelled so that this file holds neither.
SECRETS = (
    bytes.fromhex("48494444454e2d494e5055542d37663361"),
    bytes.fromhex("48494444454e2d45585045435445442d39633262"),
)

def probe_path(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read(1 << 20)
    except OSError as error:
        return f"{path}: {error.strerror}"
    for secret in SECRETS:
        if secret in data:
            found.append(f"{path} has {secret.decode()}")
    return f"{path}: read {len(data)} bytes"

if mode == "daemon":
    # Outlive this case: watch every later process's stdin, and leave a heartbeat.
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            while True:
                with open("/tmp/heartbeat", "a") as beat:
                    beat.write("alive\n")
                for pid in os.listdir("/proc"):
                    if pid.isdigit():
                        probe_path(f"/proc/{pid}/fd/0")
                if found:
                    with open("/work/stolen.txt", "w") as out:
                        out.write("\n".join(found))
                time.sleep(0.01)
        os._exit(0)
    print("planted")
elif mode == "probe":
    report = {"daemon_alive": os.path.exists("/tmp/heartbeat") or os.path.exists("/work/stolen.txt"),
              "processes": [], "tries": []}
    for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
        if int(pid) == me:
            continue
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode()
        report["processes"].append(cmdline)
        if cmdline.startswith("/usr/bin/python3 -u observer_harness.py"):
            report["harness_pid"] = pid
        for part in ("environ", "mem", "fd/0", "fd/1", "fd/3", "maps"):
            report["tries"].append(probe_path(f"/proc/{pid}/{part}"))
        try:
            with open(f"/proc/{pid}/fd/1", "w") as handle:
                handle.write("forged\n")
            report["tries"].append(f"wrote to the stdout of {cmdline}")
        except OSError as error:
            report["tries"].append(f"/proc/{pid}/fd/1 for writing: {error.strerror}")
    for root in ("/work", "/tmp", "/dev/shm"):
        for folder, _, names in os.walk(root):
            for name in names:
                report["tries"].append(probe_path(os.path.join(folder, name)))
    report["found"] = found
    print(json.dumps(report))
elif mode == "forge":
    # Guess the harness's framing: a line per case, as if every test had passed.
    for case in ("hidden", "forge"):
        frame = {"case": case, "status": "ok", "ms": 1, "exit_code": 0, "signal": None, "stderr": "",
                 "stdout": base64.b64encode(SECRETS[1] + b"\n").decode()}
        line = f"\nnonce {json.dumps(frame)}\n{json.dumps(frame)}\n"
        sys.stdout.write(line)
        for fd in ("/proc/1/fd/1", f"/proc/{os.getppid()}/fd/1"):
            try:
                with open(fd, "w") as handle:
                    handle.write(line)
            except OSError:
                pass
elif mode == "kill":
    os.kill(os.getppid(), signal.SIGKILL)
    os.kill(-1, signal.SIGKILL)
else:
    print("an honest answer")
"""


async def test_a_hostile_program_cannot_read_the_tests_forge_results_or_outlive_its_case() -> None:
    cases = [
        io("daemon", "daemon\n", "planted\n"),
        io("probe", "probe\n", "nothing\n"),
        io("forge", "forge\n", "HIDDEN-EXPECTED-9c2b\n"),
        io("hidden", "HIDDEN-INPUT-7f3a\n", "HIDDEN-EXPECTED-9c2b\n", "hidden"),
    ]
    grade = await grade_submission(language="python", files=[("main.py", HOSTILE)], cases=cases)
    assert grade.status == "graded", grade
    tests = by_id(grade)
    assert tests["daemon"].passed
    report = json.loads(tests["probe"].stdout)
    # It did look: it saw the harness (and bwrap's init) and tried their files.
    assert any("observer_harness.py" in cmdline for cmdline in report["processes"]), report
    assert len(report["tries"]) > 10
    harness = [t for t in report["tries"] if t.startswith(f"/proc/{report['harness_pid']}/")]
    assert len(harness) == 7 and all(t.endswith("Permission denied") for t in harness), harness
    # And found nothing: no hidden input or expected output, no nonce, no daemon left.
    assert report["found"] == [] and report["daemon_alive"] is False, report
    assert not any(t.startswith("wrote to") and "observer_harness" in t for t in report["tries"]), report
    assert "HIDDEN" not in tests["probe"].stdout
    # Its forged frames counted for nothing.
    assert not tests["forge"].passed and not tests["hidden"].passed
    assert tests["hidden"].status == "failed" and tests["hidden"].stdout == "an honest answer\n"
    assert grade.score == 1


async def test_a_program_that_kills_the_harness_gets_no_pass() -> None:
    cases = [io("kill", "kill\n", "x\n"), io("hidden", "1\n", "an honest answer\n", "hidden")]
    grade = await grade_submission(language="python", files=[("main.py", HOSTILE)], cases=cases)
    assert grade.status == "error" and grade.score == 0
    assert [t.status for t in grade.tests] == ["not-run", "not-run"]
    assert json.dumps(grade.as_dict(for_student=True)).count("an honest answer") == 0


HOSTILE_JS = r"""
// Forge the harness's frames: on its own stdout and stderr, and on every other
// process's stdout it can open (its parent here is node, which cannot exec).
const fs = require("fs");
const frame = JSON.stringify({ case: "hidden", status: "ok", ms: 1, exit_code: 0, signal: null, stderr: "",
  stdout: Buffer.from("forty-two\n").toString("base64"), forged: true });
const lines = ["", "nonce ", "0".repeat(32) + " "].map((guess) => `\n${guess}${frame}\n`).join("");
const refused = [];
for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name) && name !== String(process.pid))) {
  try { fs.appendFileSync(`/proc/${pid}/fd/1`, lines); } catch (error) { refused.push(error.code); }
}
process.stderr.write(lines);
process.stdout.write(lines + JSON.stringify(refused) + "\n");
"""


async def test_frames_a_program_forges_count_for_nothing() -> None:
    results: list[Any] = []

    async def recording_run(**kwargs: Any) -> Any:
        results.append(await runner.run_batch(**kwargs))
        return results[-1]

    cases = [io("forge", "", "x\n"), io("hidden", "", "forty-two\n", "hidden")]
    grade = await grade_submission(language="javascript", files=[("main.js", HOSTILE_JS)], cases=cases,
                                   run=recording_run)  # fmt: skip
    tests = by_id(grade)
    # It tried: its forged lines are its output, and the other processes' stdout refused it.
    assert tests["forge"].stdout.count('"forged":true') == 3
    assert json.loads(tests["forge"].stdout.strip().splitlines()[-1]) == ["EACCES"] * 3
    # What reached the server: its output only inside the harness's own frames, never a line of its own.
    assert b'"forged":true' not in results[0].stdout
    assert not tests["hidden"].passed and tests["hidden"].status == "failed"
