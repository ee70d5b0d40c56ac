import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { AssistQuestion } from "../api/events.gen";
import { json, mockApi } from "../test/render";
import { AssistFeed } from "./AssistFeed";
import { HelpCardAnswer } from "./HelpCardAnswer";
import { resetFeed, takeSessionEvent } from "./feedStore";

const provider = { scope: "teacher", base_url: "http://llm/v1", model: "tutor", organization: "", key_hint: "sk-…wxyz", set_by: "T", set_at: "" };
const policy = { mode: "explain", per_student_per_hour: 10, session_budget: 300, disabled_participants: [], provider };

function question(patch: Partial<AssistQuestion> = {}): AssistQuestion {
  return {
    id: "q1", participant_id: "p1", participant_name: "Ada", kind: "explain", text: "", status: "answered", answer: "Add a **colon**.",
    error: "", error_summary: "SyntaxError: expected ':'", mode: "explain", model: "tutor", prompt_tokens: 100, completion_tokens: 20,
    duration_ms: 1500, created_at: new Date().toISOString(), finished_at: null,
    context: { language: "python", run: { status: "runtime-error", error: "SyntaxError", output_tail: "", file: "main.py", line: 1 }, files: [], asked_about: null },
    ...patch,
  };
}

describe("AssistFeed", () => {
  afterEach(() => resetFeed());

  it("shows the log, then questions live from the session socket, per student", async () => {
    mockApi({
      "GET /api/sessions/s1/assist/policy": policy,
      "GET /api/sessions/s1/assist/questions": { count: 1, next: null, results: [question()] },
      "GET /api/sessions/s1/assist/analytics": { questions: 2, students: [{ participant_id: "p1", name: "Ada", questions: 1, by_kind: {}, by_status: {} }], common_errors: [{ error: "SyntaxError: expected ':'", count: 1 }] },
    });
    render(<AssistFeed sessionId="s1" sessionTitle="Loops" />);
    await screen.findByText(/SyntaxError: expected ':' \(main.py, line 1\)/);
    expect(screen.getByTestId("assist-feed-answer").querySelector("strong")?.textContent).toBe("colon");
    act(() => takeSessionEvent({ type: "assist.asked", question: question({ id: "q2", participant_id: "p2", participant_name: "Bob", kind: "hint", status: "streaming", answer: "" }) } as never));
    expect(screen.getAllByTestId("assist-feed-item")[0]?.textContent).toMatch(/Bob.*answering/);
    act(() => takeSessionEvent({ type: "assist.answered", question: question({ id: "q2", participant_id: "p2", participant_name: "Bob", kind: "hint", status: "withheld", answer: "withheld", withheld_answer: "```py\nx\n```" }) } as never));
    expect(screen.getByText("What was withheld")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Show the questions of"), { target: { value: "p1" } });
    expect(screen.getAllByTestId("assist-feed-item")).toHaveLength(1);
  });

  it("sets the policy and turns help off for one student", async () => {
    const sent: unknown[] = [];
    mockApi({
      "GET /api/sessions/s1/assist/policy": policy,
      "GET /api/sessions/s1/assist/questions": { count: 1, next: null, results: [question()] },
      "GET /api/sessions/s1/assist/analytics": { questions: 1, students: [], common_errors: [] },
      "PUT /api/sessions/s1/assist/policy": (_url: string, init: RequestInit) => {
        sent.push(JSON.parse(String(init.body)));
        return json(200, { ...policy, mode: "hints" });
      },
      "PUT /api/participants/p1/assist": (_url: string, init: RequestInit) => {
        sent.push(JSON.parse(String(init.body)));
        return json(200, { ...policy, disabled_participants: ["p1"] });
      },
    });
    render(<AssistFeed sessionId="s1" sessionTitle="Loops" students={[{ id: "p1", name: "Ada" }, { id: "p2", name: "Bob" }]} />);
    fireEvent.change(await screen.findByLabelText("AI help for the class"), { target: { value: "hints" } });
    fireEvent.click(screen.getByRole("button", { name: "Save AI help" }));
    await waitFor(() => expect(sent[0]).toEqual({ mode: "hints", per_student_per_hour: 10, session_budget: 300 }));
    fireEvent.click(screen.getByRole("button", { name: "Turn AI help off for Ada" }));
    await screen.findByRole("button", { name: "Turn AI help back on for Ada" });
    expect(sent[1]).toEqual({ enabled: false });
    expect(screen.getByText("Who may ask the AI (1 of 2)")).toBeTruthy();
    expect((screen.getByLabelText("Ada") as HTMLInputElement).checked).toBe(false);
    expect((screen.getByLabelText("Bob") as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText(/key sk-…wxyz \(yours\)/)).toBeTruthy();
  });

  it("shows a raised hand's card what the AI said first", () => {
    render(<HelpCardAnswer participantId="p1" />);
    expect(screen.queryByTestId("help-ai-answer")).toBeNull();
    act(() => takeSessionEvent({ type: "assist.answered", question: question() } as never));
    expect(screen.getByTestId("help-ai-answer").textContent).toMatch(/Asked the AI first about SyntaxError/);
  });
});
