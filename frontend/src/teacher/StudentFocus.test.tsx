import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClassSession } from "../api/types";
import type { DocumentNotice } from "../live/yjsProvider";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { file } from "../test/fixtures";
import { json } from "../test/render";
import { ada, liveSession, openAsTeacher, openSockets } from "../test/teacher";
import StudentFocus from "./StudentFocus";

interface EditorProps {
  documentId: string;
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

async function openFocus(session: ClassSession, extra: Record<string, unknown> = {}) {
  return openAsTeacher(`/teach/${session.id}/students/p1`, "/teach/:sessionId/students/:participantId", <StudentFocus />, {
    [`GET /api/sessions/${session.id}/`]: session,
    [`GET /api/sessions/${session.id}/participants/`]: [ada],
    [`GET /api/sessions/${session.id}/help/`]: [],
    "GET /api/participants/p1/files/": [file, { ...file, id: "f2", name: "notes.txt" }],
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
});
