// @vitest-environment node
import { describe, expect, it } from "vitest";
import type { DocumentHistory } from "../api/types";
import { applyEdit, authorName, playDelay, summarize, textAt } from "./replay";

const ada = { kind: "participant" as const, id: "p", name: "Ada" };
const history: DocumentHistory = {
  document_id: "d",
  name: "main.py",
  base_text: "",
  events: [
    { seq: 1, at: "2026-01-01T10:00:00.000Z", author: ada, edit: { pos: 0, delete: 0, insert: "p" }, text_after: "p", inserted: 1, deleted: 0, paste: false, resynced: false },
    { seq: 2, at: "2026-01-01T10:00:00.200Z", author: ada, edit: { pos: 1, delete: 0, insert: "r" }, inserted: 1, deleted: 0, paste: false, resynced: false },
    { seq: 3, at: "2026-01-01T10:00:00.300Z", author: ada, edit: { pos: 2, delete: 0, insert: "int(1)" }, inserted: 6, deleted: 0, paste: false, resynced: false },
    {
      seq: 4,
      at: "2026-01-01T10:00:05.000Z",
      author: { kind: "teacher", id: "t", name: "Ms T" },
      edit: { pos: 6, delete: 1, insert: "'é😀'" },
      text_after: "print('é😀')",
      inserted: 4,
      deleted: 1,
      paste: true,
      resynced: false,
    },
  ],
  final_text: "print('é😀')",
};

describe("replay", () => {
  it("rebuilds the text at each step from keyframes and edits", () => {
    expect(textAt(history, 0)).toBe("");
    expect(textAt(history, 1)).toBe("p");
    expect(textAt(history, 2)).toBe("pr");
    expect(textAt(history, 3)).toBe("print(1)");
    expect(textAt(history, 4)).toBe("print('é😀')");
    expect(textAt(history, 99)).toBe("print('é😀')");
  });

  it("counts positions in code points, like the server", () => {
    expect(applyEdit("a😀b", { pos: 2, delete: 1, insert: "c" })).toBe("a😀c");
  });

  it("names authors", () => {
    expect(authorName(history.events[0])).toBe("Ada");
    expect(authorName(history.events[3])).toBe("Ms T (teacher)");
    expect(authorName(undefined)).toBe("");
  });

  it("summarises pastes and duration", () => {
    expect(summarize(history.events)).toEqual({ pastes: 1, pastedChars: 4, durationMs: 5000 });
    expect(summarize([])).toEqual({ pastes: 0, pastedChars: 0, durationMs: 0 });
  });

  it("paces playback by real gaps, capped", () => {
    expect(playDelay(history.events, 1, 1)).toBe(200);
    expect(playDelay(history.events, 3, 1)).toBe(800);
    expect(playDelay(history.events, 3, 4)).toBe(200);
  });
});
