// @vitest-environment node
import { describe, expect, it } from "vitest";
import type { DocumentHistory } from "../api/types";
import { playDelay, summarize, textAt } from "./replay";

const history: DocumentHistory = {
  document_id: "d",
  name: "main.py",
  base_text: "",
  events: [
    { seq: 1, at: "2026-01-01T10:00:00.000Z", author: "Ada", text_after: "p", inserted: 1, deleted: 0, paste: false },
    { seq: 2, at: "2026-01-01T10:00:00.200Z", author: "Ada", inserted: 1, deleted: 0, paste: false },
    { seq: 3, at: "2026-01-01T10:00:05.000Z", author: "Ada", text_after: "print(1)", inserted: 6, deleted: 0, paste: true },
  ],
  final_text: "print(1)\n",
};

describe("replay", () => {
  it("gives the text at each step, falling back to the last known snapshot", () => {
    expect(textAt(history, 0)).toBe("");
    expect(textAt(history, 1)).toBe("p");
    expect(textAt(history, 2)).toBe("p");
    expect(textAt(history, 3)).toBe("print(1)\n");
    expect(textAt(history, 99)).toBe("print(1)\n");
  });

  it("summarises pastes and duration", () => {
    expect(summarize(history.events)).toEqual({ pastes: 1, pastedChars: 6, durationMs: 5000 });
    expect(summarize([])).toEqual({ pastes: 0, pastedChars: 0, durationMs: 0 });
  });

  it("paces playback by real gaps, capped", () => {
    expect(playDelay(history.events, 1, 1)).toBe(200);
    expect(playDelay(history.events, 2, 1)).toBe(800);
    expect(playDelay(history.events, 2, 4)).toBe(200);
  });
});
