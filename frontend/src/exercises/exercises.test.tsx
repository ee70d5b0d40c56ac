import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { StudentSubmission } from "../api/events.gen";
import { json, mockApi } from "../test/render";
import { ExercisePanel } from "./ExercisePanel";
import { TeacherExercises } from "./TeacherExercises";
import { takeExerciseEvent } from "./bus";

const EXERCISE = {
  id: "L1",
  exercise_id: "E1",
  title: "Sum",
  statement_html: "<p>Read <em>two</em> numbers.</p>",
  sample_tests: [{ id: "t1", name: "small", kind: "io", weight: 1, stdin: "2 3\n", expected_stdout: "5\n" }],
  hidden_tests: 1,
  max_score: 3,
  policy: "best",
  deadline: null,
  latest_submission: null,
  counted_score: null,
};

const CHECKED: StudentSubmission = {
  id: "S1",
  session_exercise_id: "L1",
  kind: "submit",
  status: "graded",
  score: 0,
  max_score: 3,
  passed: false,
  late: false,
  message: "",
  created_at: "2026-01-01T00:00:00Z",
  tests: [
    { id: "t1", kind: "io", visibility: "sample", weight: 1, passed: false, status: "failed", score: 0, name: "small", difference: { line: 1, expected: "5", got: "6" } },
    { id: "t2", kind: "io", visibility: "hidden", weight: 2, passed: false, status: "failed", score: 0 },
  ],
  hidden_total: 1,
  hidden_passed: 0,
};

describe("ExercisePanel", () => {
  it("shows the statement and samples, streams progress and shows a failing sample's difference", async () => {
    const fetcher = mockApi({
      "GET /api/sessions/S/exercises/": [EXERCISE],
      "POST /api/participants/P/exercises/L1/submit": () => json(202, { ...CHECKED, status: "queued", tests: [] }),
    });
    const onSubmission = { id: "F1", participant_id: "P", submission_id: "S1", file_name: "main.py", line: 2, text: "Why 5?", author: "T", created_at: "2026-01-01T00:00:00Z" };
    render(<ExercisePanel sessionId="S" participantId="P" auth={{ token: "g" }} disabled={false} flush={async () => undefined} comments={[onSubmission, { ...onSubmission, id: "F2", submission_id: null, text: "Live" }]} />);
    const card = await screen.findByTestId("exercise-card");
    expect(within(card).getByText("two").tagName).toBe("EM");
    expect(card).toHaveTextContent("1 hidden test run on Submit");
    await userEvent.click(within(card).getByRole("button", { name: "Submit" }));
    expect(fetcher.mock.calls.filter(([url]) => String(url).endsWith("/submit"))).toHaveLength(1);
    act(() => takeExerciseEvent({ type: "exercise.progress", submission_id: "S1", session_exercise_id: "L1", kind: "submit", phase: "queued", position: 3, done: 0, total: 2 }));
    expect(screen.getByTestId("exercise-progress")).toHaveTextContent("number 3 in the queue");
    act(() => takeExerciseEvent({ type: "exercise.progress", submission_id: "S1", session_exercise_id: "L1", kind: "submit", phase: "running", position: null, done: 1, total: 2 }));
    expect(screen.getByTestId("exercise-progress")).toHaveTextContent("Running test 2 of 2");
    expect(within(card).getByRole("button", { name: "Submit" })).toBeDisabled();
    act(() => takeExerciseEvent({ type: "exercise.result", submission: CHECKED }));
    const result = screen.getByTestId("exercise-result");
    expect(result).toHaveTextContent("Submission: 0 / 3");
    expect(screen.getByLabelText("Difference for small")).toHaveTextContent("expected: 5");
    expect(screen.getByTestId("hidden-summary")).toHaveTextContent("Hidden tests: 0 of 1 passed.");
    // The teacher's comment on this submission shows with it (the live file's does not).
    expect(screen.getByTestId("submission-comments")).toHaveTextContent("main.py, line 2: Why 5?");
    expect(screen.getByTestId("submission-comments")).not.toHaveTextContent("Live");
    expect(within(card).getByRole("button", { name: "Submit" })).toBeEnabled();
  });
});

describe("TeacherExercises", () => {
  it("shows the grid with pass and fail cells and the statistics", async () => {
    mockApi({
      "GET /api/sessions/S/exercises/": [{ id: "L1", exercise_id: "E1", title: "Sum", order: 0, is_open: true, policy: "best", tests: 2, hidden_tests: 1, max_score: 3 }],
      "GET /api/sessions/S/exercises/grid": {
        exercises: [{ id: "L1", title: "Sum", max_score: 3, is_open: true, stats: { submitted: 2, passed_all: 1, tests: [{ id: "t2", name: "big", visibility: "hidden", passed: 1, failed: 1 }], most_failed_test: { id: "t2", name: "big", failed: 1 }, most_common_error: null } }],
        rows: [
          { participant_id: "P2", display_name: "Bo", removed: false, cells: { L1: { submission_id: "x", status: "graded", score: 1, max_score: 3, passed: false, late: false, counted_score: 1, attempts: 1 } }, total: 1, failing: 1 },
          { participant_id: "P1", display_name: "Al", removed: false, cells: { L1: { submission_id: "y", status: "graded", score: 3, max_score: 3, passed: true, late: false, counted_score: 3, attempts: 2 } }, total: 3, failing: 0 },
        ],
        max_total: 3,
      },
      "GET /api/exercises/": { results: [] },
    });
    const opened: unknown[][] = [];
    render(<TeacherExercises sessionId="S" language="python" onOpenStudent={(...args) => opened.push(args)} />);
    const rows = await screen.findAllByTestId("grid-row");
    expect(rows[0]).toHaveTextContent("Bo");
    expect(rows[0]).toHaveTextContent("fail 1/3");
    expect(rows[1]).toHaveTextContent("pass 3/3");
    expect(screen.getByText(/1 of 2 submitted pass every test/)).toBeInTheDocument();
    // Comments are written on the student's page only (no second form here): a name opens that
    // student's submissions, to read and comment on their lines, and the view says so.
    expect(screen.queryByRole("button", { name: "Send comment" })).toBeNull();
    expect(screen.queryByLabelText("Comment")).toBeNull();
    expect(screen.getByTestId("comment-hint")).toHaveTextContent("To comment on a student's code, select their name");
    await userEvent.click(within(rows[0]!).getByRole("button", { name: "Bo: open their submissions" }));
    expect(opened).toEqual([["P2", "submissions"]]);
  });
});

describe("needs attention", () => {
  it("puts a student whose latest Submit fails first, and says why", async () => {
    const { applyEvent, attentionReason, emptyClassroom, sortStudents } = await import("../teacher/classroom");
    const person = (id: string, name: string) => ({
      id, display_name: name, is_guest: true, online: true, joined_at: "2026-01-01T09:59:00Z",
      last_activity_at: "2026-01-01T09:59:30Z", last_run_status: null, open_help_request: null, removed: false,
    });
    const now = Date.parse("2026-01-01T10:00:00Z");
    let state = applyEvent(emptyClassroom, { type: "snapshot", participants: [person("a", "Ada"), person("b", "Bo")], help: [] }, now);
    const graded = (pid: string, passed: boolean) =>
      ({ type: "exercise.graded", participant_id: pid, session_exercise_id: "L1", submission_id: `s-${pid}`, status: "graded", score: passed ? 2 : 1, max_score: 2, passed, late: false, counted_score: passed ? 2 : 1 }) as const;
    state = applyEvent(state, graded("a", true), now);
    state = applyEvent(state, graded("b", false), now);
    const order = sortStudents(Object.values(state.students), "attention", now).map((s) => s.participant.display_name);
    expect(order).toEqual(["Bo", "Ada"]);
    expect(attentionReason(state.students["b"]!, now)).toBe("Failing 1 exercise");
    state = applyEvent(state, graded("b", true), now);
    expect(attentionReason(state.students["b"]!, now)).toBeNull();
  });
});
