import { describe, expect, it, vi } from "vitest";
import { displayColumns, inlineFits, type Feedback } from "./comments";

// Monaco does not run in jsdom: the few values editorComments takes from it.
vi.mock("../editor/monaco", () => ({
  monaco: {
    Range: class {
      constructor(
        public startLineNumber: number,
        public startColumn: number,
        public endLineNumber: number,
        public endColumn: number,
      ) {}
    },
    editor: { TrackedRangeStickiness: { NeverGrowsWhenTypingAtEdges: 1 }, EditorOption: { fontInfo: 50, lineHeight: 67 } },
  },
}));

const { showLineComments } = await import("./editorComments");

function comment(patch: Partial<Feedback> = {}): Feedback {
  return { id: "F1", participant_id: "P", submission_id: null, file_name: "main.py", line: 2, text: "What if a is not 2?", author: "Ms T", created_at: "2026-01-01T10:00:00Z", ...patch };
}

interface Zone {
  afterLineNumber: number;
  heightInPx: number;
  domNode: HTMLElement;
}

/** An editor as showLineComments uses it: `contentWidth` px of code, 8 px a character. */
function fakeEditor(lines: string[], contentWidth: number) {
  let width = contentWidth;
  let decorations: { range: { startLineNumber: number }; options: { after?: { content: string } } }[] = [];
  const zones = new Map<string, Zone>();
  let next = 0;
  const listeners: Record<string, ((e?: unknown) => void)[]> = { layout: [], content: [], scroll: [] };
  const on = (kind: string) => (fn: (e?: unknown) => void) => {
    listeners[kind]!.push(fn);
    return { dispose: () => (listeners[kind] = listeners[kind]!.filter((f) => f !== fn)) };
  };
  const host = document.createElement("div");
  const model = {
    getLineCount: () => lines.length,
    getLineMaxColumn: (n: number) => (lines[n - 1] ?? "").length + 1,
    getLineContent: (n: number) => lines[n - 1] ?? "",
    getOptions: () => ({ tabSize: 4 }),
  };
  const editor = {
    getModel: () => model,
    getDomNode: () => host,
    getLayoutInfo: () => ({ contentWidth: width, verticalScrollbarWidth: 14 }),
    getOption: (option: number) => (option === 50 ? { typicalHalfwidthCharacterWidth: 8 } : 19),
    getScrollLeft: () => 0,
    createDecorationsCollection: () => ({
      set: (d: typeof decorations) => (decorations = d),
      clear: () => (decorations = []),
      getRanges: () => decorations.map((d) => d.range),
    }),
    changeViewZones: (fn: (access: { addZone: (z: Zone) => string; removeZone: (id: string) => void }) => void) =>
      fn({
        addZone: (z) => {
          const id = String(++next);
          zones.set(id, z);
          return id;
        },
        removeZone: (id) => zones.delete(id),
      }),
    onDidLayoutChange: on("layout"),
    onDidChangeModelContent: on("content"),
    onDidScrollChange: on("scroll"),
  };
  return {
    editor: editor as unknown as Parameters<typeof showLineComments>[0],
    decorations: () => decorations,
    zones: () => [...zones.values()],
    /** The student types: line `n` becomes `text`. */
    edit: (n: number, text: string) => {
      lines[n - 1] = text;
      listeners.content!.forEach((f) => f());
    },
    resize: (w: number) => {
      width = w;
      listeners.layout!.forEach((f) => f());
    },
  };
}

const CODE = ["a, b = map(int, input().split())", "print(5 if a == 2 else a - b)"];
const LONG = "Read both numbers from one line: split() gives you two strings, and map(int, ...) turns each of them into a number you can add.";

describe("a comment beside its line, or under it when it does not fit", () => {
  it("counts a tab to its stop and a wide character as two cells", () => {
    expect(displayColumns("\tab", 4)).toBe(6);
    expect(displayColumns("a\tb", 4)).toBe(5);
    expect(displayColumns("日本")).toBe(4);
    // 29 + 2 + 20 cells of 8 px + 14 px of padding and cursor: 422 px.
    expect(inlineFits(CODE[1]!, "Ms T: What if a is 2", 8, 422)).toBe(true);
    expect(inlineFits(CODE[1]!, "Ms T: What if a is 2", 8, 421)).toBe(false);
  });

  it("on a wide editor: the text after the line, no note", () => {
    const fake = fakeEditor(CODE, 1200);
    showLineComments(fake.editor, [comment()]);
    expect(fake.decorations()).toHaveLength(1);
    expect(fake.decorations()[0]!.options.after?.content).toBe("  Ms T: What if a is not 2?");
    expect(fake.zones()).toEqual([]);
  });

  it("on a phone: every comment of the line whole in a note under it, wrapped to the editor, none after the line", () => {
    const fake = fakeEditor(CODE, 300);
    const clear = showLineComments(fake.editor, [comment(), comment({ id: "F2", line: 1, text: LONG, author: "" }), comment({ id: "F3", line: 1, text: "<b>not bold</b>", created_at: "2026-01-01T10:00:01Z" })]);
    expect(fake.decorations().map((d) => [d.range.startLineNumber, d.options.after])).toEqual([[1, undefined], [2, undefined]]);
    const zones = fake.zones();
    expect(zones.map((z) => z.afterLineNumber)).toEqual([1, 2]);
    const first = zones[0]!.domNode.querySelector<HTMLElement>("[data-testid=line-comment-zone]")!;
    expect(first.dataset.line).toBe("1");
    // Whole (not shortened to 60 characters), oldest first, as text (never HTML).
    expect([...first.querySelectorAll("p")].map((p) => p.textContent)).toEqual([`Teacher: ${LONG}`, "Ms T: <b>not bold</b>"]);
    expect(first.querySelector("b")).toBeNull();
    // As wide as the code's visible part (less the scrollbar and a margin), and tall enough for its lines.
    expect(first.style.width).toBe(`${300 - 14 - 12}px`);
    expect(zones[0]!.heightInPx).toBeGreaterThan(zones[1]!.heightInPx);
    clear();
    expect(fake.zones()).toEqual([]);
    expect(fake.decorations()).toEqual([]);
  });

  it("moves a comment under its line once typing makes the line too long for it, and keeps it there while typing", () => {
    vi.useFakeTimers();
    try {
      const lines = [...CODE];
      const fake = fakeEditor(lines, 700);
      showLineComments(fake.editor, [comment()]);
      expect(fake.zones()).toHaveLength(0);
      fake.edit(2, `${CODE[1]}  # and a long remark typed after the code, past the edge`);
      expect(fake.zones()).toHaveLength(0); // not while the student is typing
      vi.advanceTimersByTime(500);
      expect(fake.zones().map((z) => z.afterLineNumber)).toEqual([2]);
      expect(fake.decorations()[0]!.options.after).toBeUndefined();
      // Shortened again: the note stays (the code below does not jump back) until the width changes.
      fake.edit(2, CODE[1]!);
      vi.advanceTimersByTime(500);
      expect(fake.zones()).toHaveLength(1);
      fake.resize(710);
      expect(fake.zones()).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("moves a comment under its line when the editor narrows, and back after it when it widens", () => {
    const fake = fakeEditor(CODE, 1200);
    showLineComments(fake.editor, [comment()]);
    fake.resize(320);
    expect(fake.zones()).toHaveLength(1);
    expect(fake.decorations()[0]!.options.after).toBeUndefined();
    fake.resize(1000);
    expect(fake.zones()).toHaveLength(0);
    expect(fake.decorations()[0]!.options.after?.content).toContain("What if a is not 2?");
  });
});
