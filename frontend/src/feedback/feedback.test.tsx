import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { takeExerciseEvent } from "../exercises/bus";
import { mockApi } from "../test/render";
import { announcement, commentsForFile, hoverText, inlineText, lineMarks, withComment, type Feedback } from "./comments";
import { CommentsPanel } from "./CommentsPanel";
import { useFeedback } from "./useFeedback";

function comment(patch: Partial<Feedback> = {}): Feedback {
  return { id: "F1", participant_id: "P", submission_id: null, file_name: "main.py", line: 2, text: "Why 5?", author: "Ms T", created_at: "2026-01-01T10:00:00Z", ...patch };
}

describe("line comments", () => {
  it("picks the comments of the file on screen, live ones and those of one submission", () => {
    const all = [comment(), comment({ id: "F2", file_name: "util.py" }), comment({ id: "F3", submission_id: "S1" })];
    expect(commentsForFile(all, "main.py").map((c) => c.id)).toEqual(["F1", "F3"]);
    expect(commentsForFile(all, "main.py", "S1").map((c) => c.id)).toEqual(["F3"]);
  });

  it("makes one mark per line, past the end on the last line, oldest first", () => {
    const marks = lineMarks([comment({ id: "b", line: 9, created_at: "2026-01-01T10:00:02Z", text: "second" }), comment({ id: "a", line: 40, created_at: "2026-01-01T10:00:01Z", text: "first" }), comment({ id: "c", line: 1 })], 9);
    expect(marks.map((m) => [m.line, m.comments.map((c) => c.id)])).toEqual([[1, ["c"]], [9, ["a", "b"]]]);
    expect(inlineText(marks[1]!)).toBe("Ms T: second (+1 more)");
    expect(inlineText({ line: 1, comments: [comment({ author: "", text: "x".repeat(100) })] })).toBe(`Teacher: ${"x".repeat(59)}…`);
  });

  it("shows a comment's text as text in the hover, never as Markdown or HTML", () => {
    expect(hoverText({ line: 1, comments: [comment({ text: "<img src=x> **bold**" })] })).toBe("**Ms T**: \\<img src=x\\> \\*\\*bold\\*\\*");
  });

  it("adds a comment once, in file and line order", () => {
    const list = withComment([comment({ id: "F2", line: 5 })], comment());
    expect(list.map((c) => c.id)).toEqual(["F1", "F2"]);
    expect(withComment(list, comment())).toBe(list);
    expect(announcement(comment())).toBe("New comment from your teacher on main.py, line 2: Why 5?");
    expect(announcement(comment(), "teacher")).toBe("New comment from Ms T on main.py, line 2: Why 5?");
  });
});

function Student({ onGoTo }: { onGoTo: (c: Feedback) => void }) {
  const feedback = useFeedback("P", { token: "g" });
  return <CommentsPanel heading="Comments from your teacher" comments={feedback.comments} arrived={feedback.arrived} error={feedback.error} onGoTo={onGoTo} />;
}

describe("the student's comments panel", () => {
  it("lists the comments, adds a new one live, announces only the new one, and goes to its line", async () => {
    mockApi({ "GET /api/participants/P/feedback/": [comment()] });
    const onGoTo = vi.fn();
    render(<Student onGoTo={onGoTo} />);
    await waitFor(() => expect(screen.getByTestId("teacher-comments")).toHaveTextContent("main.py, line 2: Why 5?"));
    const announcer = screen.getByTestId("teacher-comments-announcer");
    expect(announcer).toHaveTextContent("");
    act(() => takeExerciseEvent({ type: "feedback.added", participant_id: "P", feedback_id: "F2", submission_id: null, file_name: "main.py", line: 1, text: "Good start", created_at: "2026-01-01T10:00:01Z" }));
    act(() => takeExerciseEvent({ type: "feedback.added", participant_id: "OTHER", feedback_id: "F3", submission_id: null, file_name: "main.py", line: 1, text: "Not yours", created_at: "2026-01-01T10:00:01Z" }));
    const items = screen.getAllByTestId("line-comment");
    expect(items.map((li) => li.dataset.line)).toEqual(["1", "2"]);
    expect(screen.getByTestId("teacher-comments")).not.toHaveTextContent("Not yours");
    expect(announcer).toHaveTextContent("New comment from your teacher on main.py, line 1: Good start");
    expect(announcer).toHaveAttribute("aria-live", "polite");
    await userEvent.click(screen.getByRole("button", { name: "Go to main.py, line 1" }));
    expect(onGoTo).toHaveBeenCalledWith(expect.objectContaining({ id: "F2", line: 1 }));
  });

  it("shows nothing while there are no comments, but keeps its live region", async () => {
    mockApi({ "GET /api/participants/P/feedback/": [] });
    render(<Student onGoTo={() => undefined} />);
    await waitFor(() => expect(screen.getByTestId("teacher-comments-none")).not.toBeVisible());
    expect(screen.getByTestId("teacher-comments-announcer")).toBeInTheDocument();
  });
});
