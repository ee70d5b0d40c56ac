import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/tokens";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { bodyOf, json, mockApi, renderAt } from "../test/render";
import { file, openWorkspace, participant, session, sockets } from "../test/workspace";
import Workspace from "./Workspace";

vi.mock("../editor/CodeEditor", () => ({
  CodeEditor: (props: { documentId: string; readOnly?: boolean }) => (
    <div data-testid="code-editor" data-document={props.documentId} data-readonly={String(!!props.readOnly)} />
  ),
}));
vi.mock("../terminal/TerminalView", () => ({ TerminalView: () => <div data-testid="terminal" /> }));

describe("Workspace", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("opens the student's files, instructions and live channels with the guest token", async () => {
    const fetcher = await openWorkspace();
    expect(screen.getByRole("tab", { name: "main.py" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("code-editor")).toHaveAttribute("data-document", "f1");
    expect(screen.getByText("user").tagName).toBe("STRONG");
    const auth = ((fetcher.mock.calls[0]![1] as RequestInit).headers as Record<string, string>)["Authorization"];
    expect(auth).toBe("Bearer g");
    expect(sockets("/ws/sessions/s1/")[0]!.protocols).toEqual(["observer", "bearer.g"]);
    expect(sockets("/ws/terminal/p1/")).toHaveLength(1);
    await waitFor(() => expect(screen.getByTestId("connection")).toHaveAttribute("data-status", "connected"));
  });

  it("runs the active file from the button and with Ctrl+Enter, and stops it", async () => {
    await openWorkspace();
    const terminal = sockets("/ws/terminal/p1/")[0]!;
    await userEvent.click(screen.getByRole("button", { name: "▶ Run" }));
    expect(terminal.sentJson()[0]).toMatchObject({ type: "run", entry: "main.py" });
    act(() => terminal.serverSend(JSON.stringify({ type: "started", run_id: "r", language: "python", entry: "main.py" })));
    expect(screen.getByRole("button", { name: "▶ Run" })).toBeDisabled();
    await userEvent.click(screen.getByRole("button", { name: "■ Stop" }));
    expect(terminal.sentJson()[1]).toEqual({ type: "stop" });
    act(() =>
      terminal.serverSend(JSON.stringify({ type: "exit", run_id: "r", status: "killed", exit_code: null, signal: 9, wall_ms: 900, cpu_ms: 800, peak_memory_kb: 5000, output_bytes: 0, message: "" })),
    );
    expect(screen.getByTestId("run-status")).toHaveTextContent("killed");
    await userEvent.keyboard("{Control>}{Enter}{/Control}");
    expect(terminal.sentJson()[2]).toMatchObject({ type: "run", entry: "main.py" });
  });

  it("becomes read-only when the teacher ends the session", async () => {
    await openWorkspace();
    expect(await screen.findByTestId("runs-left")).toBeInTheDocument();
    const events = sockets("/ws/sessions/s1/")[0]!;
    act(() => events.serverSend(JSON.stringify({ type: "session.updated", session: { ...session, state: "ended" } })));
    expect(screen.getByTestId("ended-banner")).toHaveTextContent("The teacher ended this session");
    expect(screen.getAllByRole("status").filter((el) => /read-only/.test(el.textContent ?? ""))).toHaveLength(1);
    expect(screen.queryByTestId("runs-left")).toBeNull();  // no runs in an ended session
    expect(screen.getByTestId("code-editor")).toHaveAttribute("data-readonly", "true");
    expect(screen.getByRole("button", { name: "▶ Run" })).toBeDisabled();
    expect(screen.queryByRole("button", { name: "New file" })).not.toBeInTheDocument();
  });

  it("adds a pushed file as a tab and says who sent it", async () => {
    await openWorkspace();
    const events = sockets("/ws/sessions/s1/")[0]!;
    act(() => events.serverSend(JSON.stringify({ type: "file.pushed", file: { id: "f2", name: "hint.py", content: "", updated_at: "", size: 0 } })));
    expect(screen.getByRole("tab", { name: "hint.py" })).toBeInTheDocument();
    expect(screen.getByText("Your teacher shared hint.py.")).toBeInTheDocument();
  });

  it("raises a hand with the message, file and line, then follows its state", async () => {
    const fetcher = await openWorkspace({
      "POST /api/participants/p1/help": () =>
        json(201, { id: "h1", participant_id: "p1", display_name: "Ada", message: "stuck", file_name: "main.py", line: 1, last_output: "", state: "open", created_at: new Date().toISOString(), claimed_by: null, claimed_at: null, resolved_at: null }),
    });
    await userEvent.type(screen.getByLabelText("What do you need help with?"), "stuck");
    await userEvent.click(screen.getByRole("button", { name: "Raise hand" }));
    await waitFor(() => expect(screen.getByTestId("help-panel")).toHaveAttribute("data-state", "open"));
    const raise = fetcher.mock.calls.find(([url]) => String(url).endsWith("/help"))!;
    expect(bodyOf(raise[1] as RequestInit)).toEqual({ message: "stuck", file_id: "f1", line: 1 });
    const events = sockets("/ws/sessions/s1/")[0]!;
    act(() => events.serverSend(JSON.stringify({ type: "help.updated", help_request: { id: "h1", participant_id: "p1", state: "claimed", message: "stuck", created_at: new Date().toISOString() } })));
    expect(screen.getByTestId("help-panel")).toHaveAttribute("data-state", "claimed");
    expect(screen.getByText("Your teacher is on the way.")).toBeInTheDocument();
  });

  it("asks to join again when the guest seat is gone", async () => {
    tokenStore.setGuest({ token: "old", sessionId: "s1", participantId: "p1", displayName: "Ada" });
    mockApi({ "GET /api/sessions/current": () => json(401, { error: { code: "token_not_valid", message: "expired", details: {} } }) });
    renderAt("/s/s1", [{ path: "/s/:sessionId", element: <Workspace /> }]);
    expect(await screen.findByRole("heading", { name: "Join this class" })).toBeInTheDocument();
    expect(tokenStore.getGuest("s1")).toBeNull();
  });
});

describe("Workspace for a signed-in student", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("opens an older class from the seat kept at join time", async () => {
    tokenStore.setPair({ access: "header.eyJleHAiOjk5OTk5OTk5OTl9.sig", refresh: "r" });
    tokenStore.setSeat("s1", "p1");
    mockApi({
      "GET /api/auth/me": { id: "u", username: "ada", email: "", display_name: "Ada", role: "student", guest: false },
      "GET /api/sessions/current": { session: { ...session, id: "s9" }, participant: { ...participant, id: "p9" }, files: [] },
      "GET /api/participants/p1/": { ...participant, session },
      "GET /api/participants/p1/files/": [file],
    });
    renderAt("/s/s1", [{ path: "/s/:sessionId", element: <Workspace /> }]);
    expect(await screen.findByTestId("workspace")).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "main.py" })).toBeInTheDocument();
  });
});

describe("Workspace run limits", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("counts down on a refused run and keeps Run disabled until then", async () => {
    await openWorkspace();
    const terminal = sockets("/ws/terminal/p1/")[0]!;
    await userEvent.click(screen.getByRole("button", { name: "▶ Run" }));
    act(() => terminal.serverSend(JSON.stringify({ type: "error", code: "rate_limited", message: "Too many runs.", retry_after: 20 })));
    expect(screen.getByTestId("run-status")).toHaveTextContent("Too many runs.");
    expect(screen.getByRole("timer")).toHaveTextContent(/Try again in (20|19) s/);
    expect(screen.getByRole("button", { name: /▶ Run \((20|19) s\)/ })).toBeDisabled();
  });
});
