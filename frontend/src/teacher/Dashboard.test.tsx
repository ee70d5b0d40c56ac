import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClassSession } from "../api/types";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { file } from "../test/fixtures";
import { ada, bob, liveSession, openAsTeacher, openSockets } from "../test/teacher";
import Dashboard from "./Dashboard";

async function openDashboard(session: ClassSession, extra: Record<string, unknown> = {}) {
  return openAsTeacher(`/teach/${session.id}`, "/teach/:sessionId", <Dashboard />, {
    [`GET /api/sessions/${session.id}/`]: session,
    [`GET /api/sessions/${session.id}/participants/`]: [ada, bob],
    [`GET /api/sessions/${session.id}/help/`]: [],
    "GET /api/participants/p1/files/": [{ ...file, content: "print('hello')" }],
    "GET /api/participants/p2/files/": [],
    ...extra,
  }, "dashboard");
}

const tile = (name: string) => screen.getAllByTestId("student-tile").find((t) => t.getAttribute("data-name") === name)!;
const events = (id: string) => FakeWebSocket.instances.find((s) => s.url.includes(`/ws/sessions/${id}/`))!;

describe("teacher Dashboard", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("shows the join code and a tile per student with their code", async () => {
    await openDashboard(liveSession("d1"));
    expect(screen.getByTestId("join-code")).toHaveTextContent("ABC123");
    await waitFor(() => expect(screen.getAllByTestId("student-tile")).toHaveLength(2));
    await waitFor(() => expect(within(tile("Ada")).getByTestId("tile-code")).toHaveTextContent("print('hello')"));
    expect(within(tile("Bob")).getByTestId("tile-code")).toHaveTextContent("No code yet");
  });

  it("follows live previews and raised hands on the session channel", async () => {
    await openDashboard(liveSession("d2"));
    await waitFor(() => expect(screen.getAllByTestId("student-tile")).toHaveLength(2));
    const socket = events("d2");
    act(() => socket.serverSend(JSON.stringify({ type: "preview", participant_id: "p2", document_id: "f2", name: "main.py", text: "while True: pass", truncated: false, opened: false })));
    expect(within(tile("Bob")).getByTestId("tile-code")).toHaveTextContent("while True: pass");
    const hand = { id: "h1", participant_id: "p2", display_name: "Bob", message: "stuck in a loop", file_name: "main.py", line: 1, last_output: "", state: "open", created_at: new Date().toISOString(), claimed_by: null, claimed_at: null, resolved_at: null };
    act(() => socket.serverSend(JSON.stringify({ type: "help.raised", help_request: hand })));
    expect(tile("Bob")).toHaveAttribute("data-status", "help");
    expect(screen.getByTestId("help-item")).toHaveTextContent("stuck in a loop");
  });

  it("opens a student's editor from their tile", async () => {
    await openDashboard(liveSession("d3"));
    await waitFor(() => expect(screen.getAllByTestId("student-tile")).toHaveLength(2));
    await userEvent.click(tile("Ada"));
    expect(screen.getByTestId("elsewhere")).toBeInTheDocument();
  });

  it("starts a draft session, which then shows its join code", async () => {
    const draft = liveSession("d4", { state: "draft", join_code: null });
    await openDashboard(draft, { "POST /api/sessions/d4/start": { ...draft, state: "live", join_code: "XYZ789" } });
    expect(screen.getByTestId("draft-intro")).toHaveTextContent("“Loops” is ready to start");
    await userEvent.click(screen.getByRole("button", { name: "▶ Start session" }));
    expect(await screen.findByTestId("join-code")).toHaveTextContent("XYZ789");
    expect(screen.getByTestId("dashboard")).toHaveAttribute("data-session-state", "live");
  });

  it("says an ended session's files are read-only and switches to analytics", async () => {
    const ended = liveSession("d5", { state: "ended", ended_at: new Date().toISOString() });
    await openDashboard(ended, { "GET /api/sessions/d5/analytics": { session: {}, students: [] } });
    expect(screen.getByTestId("ended-notice")).toHaveTextContent("Students' files are read-only");
    expect(screen.queryByTestId("join-code")).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("tab", { name: "Analytics" }));
    openSockets();
    expect(await screen.findByText("No activity yet")).toBeInTheDocument();
  });

  it("says why the session could not be opened", async () => {
    await openAsTeacher("/teach/d6", "/teach/:sessionId", <Dashboard />, {
      "GET /api/sessions/d6/": () => new Response(JSON.stringify({ error: { code: "not_found", message: "No such session.", details: {} } }), { status: 404 }),
    }, null);
    expect(await screen.findByRole("alert")).toHaveTextContent("No such session.");
  });
});
