import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClassSession } from "../api/types";
import type { DocumentNotice } from "../live/yjsProvider";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { file } from "../test/fixtures";
import { json } from "../test/render";
import { ada, liveSession, openAsTeacher, openSockets } from "../test/teacher";
import StudentFocus from "./StudentFocus";

const ALLOWANCE = { mode: "explain", enabled: true, configured: true, left: 9, limit: 10, used: 1, resets_at: "", session_left: 90 };

interface EditorProps {
  documentId: string;
  comments?: { line: number; text: string }[];
  onCommentLine?: (line: number) => void;
  readOnly?: boolean;
  readOnlyMessage?: string;
  user: { name: string };
  onNotice?: (notice: DocumentNotice) => void;
}
const editor = vi.hoisted(() => ({ props: null as EditorProps | null }));
vi.mock("../editor/CodeEditor", () => ({
  CodeEditor: (props: EditorProps) => {
    editor.props = props;
    return <div data-testid="code-editor" data-document={props.documentId} data-readonly={String(!!props.readOnly)} />;
  },
}));
vi.mock("../terminal/TerminalView", () => ({ TerminalView: () => <div data-testid="terminal" /> }));
interface StaticProps {
  text: string;
  comments: { line: number }[];
  onCommentLine?: (line: number) => void;
}
const submitted = vi.hoisted(() => ({ props: null as StaticProps | null }));
vi.mock("../feedback/StaticCodeView", () => ({
  StaticCodeView: (props: StaticProps) => {
    submitted.props = props;
    return <pre data-testid="submission-code">{props.text}</pre>;
  },
}));

async function openFocus(session: ClassSession, extra: Record<string, unknown> = {}, query = "") {
  return openAsTeacher(`/teach/${session.id}/students/p1${query}`, "/teach/:sessionId/students/:participantId", <StudentFocus />, {
    [`GET /api/sessions/${session.id}/`]: session,
    [`GET /api/sessions/${session.id}/participants/`]: [ada],
    [`GET /api/sessions/${session.id}/help/`]: [],
    "GET /api/participants/p1/files/": [file, { ...file, id: "f2", name: "notes.txt" }],
    "GET /api/participants/p1/feedback/": [],
    "GET /api/participants/p1/assist": { allowance: ALLOWANCE, questions: [] },
    ...extra,
  }, "student-focus");
}

const terminalSocket = () => FakeWebSocket.instances.find((s) => s.url.includes("/ws/terminal/p1/"))!;

describe("StudentFocus", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
    editor.props = null;
  });
  afterEach(() => vi.unstubAllGlobals());

  it("opens the student's first file live and editable, as the teacher", async () => {
    await openFocus(liveSession("sf1"));
    expect(await screen.findByTestId("code-editor")).toHaveAttribute("data-document", "f1");
    expect(screen.getByTestId("code-editor")).toHaveAttribute("data-readonly", "false");
    expect(editor.props!.user.name).toBe("Ms T");
    expect(screen.getByTestId("focus-name")).toHaveTextContent("Ada");
    expect(screen.getByText("You are editing live with the student.")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("tab", { name: "notes.txt" }));
    expect(screen.getByTestId("code-editor")).toHaveAttribute("data-document", "f2");
  });

  it("is view-only when the session does not let the teacher edit", async () => {
    await openFocus(liveSession("sf2", { teacher_can_edit: false }));
    expect(await screen.findByTestId("code-editor")).toHaveAttribute("data-readonly", "true");
    expect(editor.props!.readOnlyMessage).toBe("Editing students' code is turned off for this session.");
    expect(screen.getByText("View only (editing is off for this session).")).toBeInTheDocument();
  });

  it("shows the server's refusal of a teacher's edit instead of dropping it", async () => {
    await openFocus(liveSession("sf3"));
    await screen.findByTestId("code-editor");
    act(() => editor.props!.onNotice!({ type: "error", code: "readonly", message: "This document is read-only for you; the change was not kept." }));
    expect(screen.getByTestId("document-notice")).toHaveTextContent("the change was not kept");
  });

  it("stops and interrupts the student's run through the mirrored terminal", async () => {
    await openFocus(liveSession("sf4"));
    const terminal = terminalSocket();
    expect(screen.getByRole("button", { name: "■ Stop" })).toBeDisabled();
    act(() => terminal.serverSend(JSON.stringify({ type: "started", run_id: "r1", language: "python", entry: "main.py" })));
    await userEvent.click(screen.getByRole("button", { name: "Ctrl+C" }));
    await userEvent.click(screen.getByRole("button", { name: "■ Stop" }));
    expect(terminal.sentJson()).toEqual([{ type: "interrupt" }, { type: "stop" }]);
  });

  it("removes the student after confirming, and goes back to the class", async () => {
    const fetcher = await openFocus(liveSession("sf5"), { "DELETE /api/sessions/sf5/participants/p1/": () => json(204, null) });
    await userEvent.click(screen.getByRole("button", { name: "Remove from session" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("Remove Ada?");
    await userEvent.click(screen.getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(screen.getByTestId("elsewhere")).toBeInTheDocument());
    expect(fetcher.mock.calls.some(([url, init]) => String(url).endsWith("/participants/p1/") && (init as RequestInit).method === "DELETE")).toBe(true);
  });

  it("says when the student's files cannot be listed, and retries", async () => {
    let calls = 0;
    await openFocus(liveSession("sf6"), {
      "GET /api/participants/p1/files/": () => (++calls === 1 ? json(500, null) : json(200, [file])),
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("The server failed (HTTP 500).");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    openSockets();
    expect(await screen.findByTestId("code-editor")).toHaveAttribute("data-document", "f1");
  });

  it("comments on the line the teacher is on: the comment is sent, drawn beside the line and listed", async () => {
    const fetcher = await openFocus(liveSession("sf7"), {
      "POST /api/participants/p1/feedback/": (_url: string, init: RequestInit) =>
        json(201, { id: "F1", participant_id: "p1", submission_id: null, author: "Ms T", created_at: "2026-01-01T10:00:00Z", ...(JSON.parse(String(init.body)) as object) }),
    });
    await screen.findByTestId("code-editor");
    // "Comment on this line" from the editor (its context menu or Ctrl+Alt+Enter) on line 3.
    act(() => editor.props!.onCommentLine!(3));
    const form = screen.getByTestId("comment-form");
    expect(within(form).getByLabelText("Line")).toHaveValue(3);
    expect(within(form).getByLabelText("File")).toHaveValue("main.py");
    expect(within(form).getByLabelText("Comment")).toHaveFocus();
    await userEvent.type(within(form).getByLabelText("Comment"), "Off by one?");
    await userEvent.click(within(form).getByRole("button", { name: "Send comment" }));
    await screen.findByText("Comment sent to Ada on main.py, line 3.");
    const sent = fetcher.mock.calls.find(([url, init]) => String(url).endsWith("/feedback/") && (init as RequestInit).method === "POST");
    expect(JSON.parse(String((sent![1] as RequestInit).body))).toEqual({ file_name: "main.py", line: 3, text: "Off by one?" });
    expect(screen.getByTestId("focus-comment-list")).toHaveTextContent("main.py, line 3: Off by one?");
    expect(editor.props!.comments).toEqual([expect.objectContaining({ line: 3, text: "Off by one?" })]);
    // On the other file's tab the editor shows none of main.py's comments.
    await userEvent.click(screen.getByRole("tab", { name: "notes.txt" }));
    expect(editor.props!.comments).toEqual([]);
  });

  it("shows the student's own AI questions and turns AI help off for them", async () => {
    const asked = { id: "q1", participant_id: "p1", participant_name: "Ada", kind: "question", text: "What is a loop?", status: "answered", answer: "A **loop** repeats.", error: "", error_summary: "", mode: "explain", model: "tutor", prompt_tokens: 1, completion_tokens: 2, duration_ms: 10, created_at: "2026-01-01T10:00:00Z", finished_at: null };
    const fetcher = await openFocus(liveSession("sf8"), {
      "GET /api/participants/p1/assist": { allowance: ALLOWANCE, questions: [asked] },
      "PUT /api/participants/p1/assist": { mode: "explain", per_student_per_hour: 10, session_budget: 100, disabled_participants: ["p1"], provider: null },
    });
    const feed = await screen.findByTestId("student-assist-feed");
    await waitFor(() => expect(within(feed).getByTestId("student-assist-items")).toHaveTextContent("What is a loop?"));
    expect(within(feed).getByTestId("student-assist-allowance")).toHaveTextContent("9 of 10 questions left this hour");
    await userEvent.click(within(feed).getByRole("button", { name: "Turn AI help off for Ada" }));
    await within(feed).findByRole("button", { name: "Turn AI help back on for Ada" });
    expect(within(feed).getByTestId("student-assist-allowance")).toHaveTextContent("AI help is off for Ada.");
    const put = fetcher.mock.calls.find(([url, init]) => String(url).endsWith("/participants/p1/assist") && (init as RequestInit).method === "PUT");
    expect(JSON.parse(String((put![1] as RequestInit).body))).toEqual({ enabled: false });
  });

  it("shows the student's submissions as sent and comments on a line of one of them", async () => {
    const submission = { id: "S1", session_exercise_id: "L1", participant_id: "p1", kind: "submit", status: "graded", score: 1, max_score: 2, passed: false, late: false, message: "", regraded: false, created_at: "2026-01-01T10:00:00Z", graded_at: null, files: [{ name: "main.py", content: "print(5)\n" }] };
    const earlier = { id: "F0", participant_id: "p1", submission_id: "S1", file_name: "main.py", line: 1, text: "Hard-coded?", author: "Ms T", created_at: "2026-01-01T10:01:00Z" };
    const fetcher = await openFocus(liveSession("sf9"), {
      "GET /api/participants/p1/feedback/": [earlier],
      "GET /api/participants/p1/submissions/": [submission],
      "GET /api/sessions/sf9/exercises/": [{ id: "L1", exercise_id: "E1", title: "Add", order: 0, is_open: true, policy: "best", tests: 2, hidden_tests: 1, max_score: 2 }],
      "POST /api/participants/p1/feedback/": (_url: string, init: RequestInit) =>
        json(201, { id: "F1", participant_id: "p1", author: "Ms T", created_at: "2026-01-01T10:02:00Z", ...(JSON.parse(String(init.body)) as object) }),
    });
    await screen.findByTestId("code-editor");
    // The live editor shows the comment on the submission too: it is about lines the student has.
    expect(editor.props!.comments).toEqual([expect.objectContaining({ id: "F0" })]);
    await userEvent.click(screen.getByRole("tab", { name: "Submissions" }));
    const review = await screen.findByTestId("submission-review");
    await waitFor(() => expect(within(review).getByLabelText("Submission")).toHaveTextContent("Add · Submit"));
    expect(screen.getByTestId("submission-code")).toHaveTextContent("print(5)");
    expect(submitted.props!.comments).toEqual([expect.objectContaining({ id: "F0" })]);
    act(() => submitted.props!.onCommentLine!(1));
    const form = screen.getByTestId("comment-form");
    expect(form).toHaveTextContent("On the submission Add · Submit");
    await userEvent.type(within(form).getByLabelText("Comment"), "Read the input");
    await userEvent.click(within(form).getByRole("button", { name: "Send comment" }));
    await screen.findByText("Comment sent to Ada on main.py, line 1.");
    const sent = fetcher.mock.calls.find(([url, init]) => String(url).endsWith("/feedback/") && (init as RequestInit).method === "POST");
    expect(JSON.parse(String((sent![1] as RequestInit).body))).toEqual({ file_name: "main.py", line: 1, text: "Read the input", submission_id: "S1" });
    expect(submitted.props!.comments).toHaveLength(2);
    expect(screen.getByTestId("focus-comment-list")).toHaveTextContent("on the submission of");
  });

  it("opens on the submissions when the exercise grid sent the teacher there", async () => {
    await openFocus(liveSession("sf10"), { "GET /api/participants/p1/submissions/": [], "GET /api/sessions/sf10/exercises/": [] }, "?view=submissions");
    expect(await screen.findByRole("tab", { name: "Submissions" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByText("Ada has not checked or submitted an exercise yet")).toBeInTheDocument();
  });
});
