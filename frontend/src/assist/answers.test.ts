import { describe, expect, it } from "vitest";
import type { AssistAllowance, AssistQuestion } from "../api/events.gen";
import { EMPTY, allowanceText, placeDelta, reduce, streaming } from "./answers";

const allowance: AssistAllowance = { mode: "full", enabled: true, configured: true, left: 9, limit: 10, used: 1, resets_at: "2026-12-02T19:00:00Z", session_left: 100 };

function question(patch: Partial<AssistQuestion> = {}): AssistQuestion {
  return {
    id: "q1", participant_id: "p1", participant_name: "Ada", kind: "explain", text: "", status: "streaming", answer: "",
    error: "", error_summary: "", mode: "full", model: "m", prompt_tokens: null, completion_tokens: null, duration_ms: null,
    created_at: "2026-12-02T18:00:00Z", finished_at: null, ...patch,
  };
}

describe("assist answers", () => {
  it("builds an answer from deltas at their offsets, skipping repeats after a resume", () => {
    let view = reduce(EMPTY, { type: "assist.state", allowance, questions: [question({ answer: "The err" })] });
    view = reduce(view, { type: "assist.delta", question_id: "q1", offset: 4, text: "err" }); // a repeat
    view = reduce(view, { type: "assist.delta", question_id: "q1", offset: 7, text: "or means" });
    expect(view.questions[0]?.answer).toBe("The error means");
    expect(streaming(view)?.id).toBe("q1");
    view = reduce(view, { type: "assist.question", question: question({ status: "answered", answer: "The error means X." }) });
    expect(view.questions[0]?.answer).toBe("The error means X.");
    expect(streaming(view)).toBeNull();
  });

  it("waits for the final record across a gap instead of showing words out of place", () => {
    expect(placeDelta("abc", 5, "xyz")).toBe("abc");
    expect(placeDelta("abc", 2, "cde")).toBe("abcde");
  });

  it("keeps what the deltas built when a stale streaming record arrives", () => {
    let view = reduce(EMPTY, { type: "assist.question", question: question() });
    view = reduce(view, { type: "assist.delta", question_id: "q1", offset: 0, text: "Hello there" });
    view = reduce(view, { type: "assist.question", question: question({ answer: "Hel" }) });
    expect(view.questions[0]?.answer).toBe("Hello there");
  });

  it("keeps a refusal to say, and clears it on the next question", () => {
    let view = reduce(EMPTY, { type: "error", code: "rate_limited", message: "Wait.", retry_after: 30 });
    expect(view.error).toEqual({ code: "rate_limited", message: "Wait.", retryAfter: 30 });
    view = reduce(view, { type: "assist.question", question: question() });
    expect(view.error).toBeNull();
  });

  it("says what the student may ask", () => {
    expect(allowanceText(allowance)).toBe("9 questions left this hour");
    expect(allowanceText({ ...allowance, left: 1 })).toBe("1 question left this hour");
    expect(allowanceText({ ...allowance, session_left: 0 })).toMatch(/used all/);
    expect(allowanceText({ ...allowance, enabled: false })).toMatch(/off for you/);
    expect(allowanceText({ ...allowance, mode: "off", enabled: false })).toMatch(/not turned AI help on/);
    expect(allowanceText({ ...allowance, configured: false })).toMatch(/not set up/);
  });
});
