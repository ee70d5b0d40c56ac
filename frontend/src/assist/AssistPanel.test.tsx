import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AssistAllowance, AssistQuestion } from "../api/events.gen";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { AssistPanel } from "./AssistPanel";
import { ExplainErrorButton } from "./ExplainErrorButton";

const allowance: AssistAllowance = { mode: "hints", enabled: true, configured: true, left: 3, limit: 3, used: 0, resets_at: "2026-12-02T19:00:00Z", session_left: 50 };
const asked: AssistQuestion = {
  id: "q1", participant_id: "p1", participant_name: "Ada", kind: "explain", text: "", status: "streaming", answer: "",
  error: "", error_summary: "", mode: "hints", model: "m", prompt_tokens: null, completion_tokens: null, duration_ms: null,
  created_at: "2026-12-02T18:00:00Z", finished_at: null,
};

async function open(frames: object[] = [{ type: "assist.state", allowance, questions: [] }]) {
  render(
    <>
      <ExplainErrorButton failed />
      <AssistPanel participantId="p1" getToken={() => Promise.resolve("t")} where={() => ({ file: "main.py", line: 2 })} />
    </>,
  );
  await act(async () => {});
  const socket = FakeWebSocket.last();
  act(() => socket.serverOpen());
  for (const frame of frames) act(() => socket.serverSend(JSON.stringify(frame)));
  return socket;
}

describe("AssistPanel", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("asks to explain the error, streams the answer as Markdown without raw HTML, and can stop it", async () => {
    const socket = await open();
    expect(socket.url).toMatch(/\/ws\/assist\/p1\/$/);
    expect(screen.getByTestId("assist-allowance").textContent).toBe("3 questions left this hour · hints only");
    fireEvent.click(screen.getByTestId("explain-error")); // the button beside the failed run
    expect(JSON.parse(String(socket.sent[0]))).toEqual({ type: "ask", kind: "explain", text: "", file: "main.py", line: 2 });
    act(() => socket.serverSend(JSON.stringify({ type: "assist.question", question: asked })));
    act(() => socket.serverSend(JSON.stringify({ type: "assist.delta", question_id: "q1", offset: 0, text: "Look at **line 1** <img src=x onerror=alert(1)>" })));
    const answer = screen.getByTestId("assist-answer");
    expect(answer.querySelector("strong")?.textContent).toBe("line 1");
    expect(answer.querySelector("img")).toBeNull();
    expect(screen.getByRole("button", { name: "Explain my last error" })).toBeDisabled(); // one answer at a time
    expect(screen.queryByTestId("explain-error")).toBeNull();
    fireEvent.click(screen.getByTestId("assist-stop"));
    expect(JSON.parse(String(socket.sent[1]))).toEqual({ type: "stop", question_id: "q1" });
    act(() => socket.serverSend(JSON.stringify({ type: "assist.question", question: { ...asked, status: "stopped", answer: "Look at" } })));
    expect(screen.getByText("Stopped.")).toBeTruthy();
    expect(screen.queryByTestId("assist-stop")).toBeNull();
  });

  it("sends a free question and says a refusal", async () => {
    const socket = await open();
    fireEvent.change(screen.getByLabelText("Ask the AI a question"), { target: { value: "  why a colon? " } });
    fireEvent.click(screen.getByRole("button", { name: "Ask the AI" }));
    expect(JSON.parse(String(socket.sent[0]))).toMatchObject({ type: "ask", kind: "question", text: "why a colon?" });
    act(() => socket.serverSend(JSON.stringify({ type: "error", code: "rate_limited", message: "You have asked 3 questions this hour; wait a little.", retry_after: 60 })));
    expect(screen.getByTestId("assist-error").textContent).toMatch(/wait a little/);
  });

  it("resumes an answer after a reconnect with what was generated", async () => {
    const socket = await open([{ type: "assist.state", allowance, questions: [{ ...asked, answer: "The error " }] }]);
    act(() => socket.serverSend(JSON.stringify({ type: "assist.delta", question_id: "q1", offset: 4, text: "error means" })));
    expect(screen.getByTestId("assist-answer").textContent).toContain("The error means");
  });

  it("offers nothing when help is off for the student, and disappears without a provider", async () => {
    await open([{ type: "assist.state", allowance: { ...allowance, enabled: false, left: 0 }, questions: [] }]);
    expect(screen.getByTestId("assist-allowance").textContent).toMatch(/off for you/);
    expect(screen.queryByRole("button", { name: "Ask the AI" })).toBeNull();
    act(() => FakeWebSocket.last().serverSend(JSON.stringify({ type: "assist.allowance", allowance: { ...allowance, configured: false } })));
    expect(screen.queryByTestId("assist-panel")).toBeNull();
  });
});
