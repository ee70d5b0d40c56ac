/**
 * The teacher's comments drawn in a Monaco editor: a speech-bubble glyph in the margin, the
 * line tinted, every comment in the hover, and the latest comment's text after the line when
 * it fits in the editor's width. When it does not (a phone, or a long line), the line's
 * comments are shown whole in a note under the line (a view zone, its text wrapped to the
 * editor's width), never cut off at the edge. Decorations and notes move with the text as it
 * is edited; they are drawn again when the comments or the editor's width change.
 * (Screen readers do not read decorations or notes: the page lists the same comments in a panel.)
 */
import "./feedback.css";
import type { editor as MonacoNS } from "monaco-editor";
import { monaco } from "../editor/monaco";
import { hoverText, inlineFits, inlineText, lineMarks, zoneEntries, type Feedback, type LineMark } from "./comments";

type Editor = MonacoNS.IStandaloneCodeEditor;

/** One decoration per commented line (a mark); the marks numbered in `under` (their place in `marks`) have their text in a note under the line instead. */
function markDecorations(marks: LineMark[], model: MonacoNS.ITextModel, under: ReadonlySet<number>): MonacoNS.IModelDeltaDecoration[] {
  return marks.map((mark, i) => {
    const end = model.getLineMaxColumn(mark.line);
    const hover = { value: hoverText(mark), isTrusted: false, supportHtml: false };
    return {
      range: new monaco.Range(mark.line, 1, mark.line, end),
      options: {
        isWholeLine: true,
        className: "line-comment-line",
        glyphMarginClassName: "codicon codicon-comment line-comment-glyph",
        glyphMarginHoverMessage: hover,
        hoverMessage: hover,
        ...(under.has(i) ? {} : { after: { content: `  ${inlineText(mark)}`, inlineClassName: "line-comment-inline" } }),
        stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges,
      },
    };
  });
}

/** The width a note may take: the code's visible width, less the scrollbar and a margin. */
function noteWidth(editor: Editor): number {
  const layout = editor.getLayoutInfo();
  return Math.max(120, layout.contentWidth - layout.verticalScrollbarWidth - 12);
}

/** The marks (their places in `marks`) whose inline text would not fit after their line in the visible width. */
function marksNotFitting(editor: Editor, marks: LineMark[]): Set<number> {
  const model = editor.getModel();
  const layout = editor.getLayoutInfo();
  const charWidth = editor.getOption(monaco.editor.EditorOption.fontInfo).typicalHalfwidthCharacterWidth;
  const tabSize = model?.getOptions().tabSize ?? 4;
  const visible = layout.contentWidth - layout.verticalScrollbarWidth;
  const fits = (mark: LineMark) => !!model && inlineFits(model.getLineContent(mark.line), inlineText(mark), charWidth, visible, tabSize);
  return new Set(marks.flatMap((mark, i) => (fits(mark) ? [] : [i])));
}

/** A line's note: each comment whole, who wrote it first (text, never HTML). */
function noteNode(mark: LineMark, width: number): HTMLElement {
  const note = document.createElement("div");
  note.className = "line-comment-zone";
  note.dataset.testid = "line-comment-zone";
  note.dataset.line = String(mark.line);
  note.style.width = `${width}px`;
  for (const entry of zoneEntries(mark)) {
    const p = document.createElement("p");
    const who = document.createElement("strong");
    who.textContent = `${entry.who}: `;
    p.append(who, entry.text);
    note.append(p);
  }
  return note;
}

/** Room around a note (its margins: a gap above, a larger one below). */
const NOTE_GAP_PX = 8;

/** The note's height as laid out at its width (measured hidden inside the editor, so its styles apply). */
function noteHeight(editor: Editor, note: HTMLElement, width: number): number {
  const host = editor.getDomNode();
  let height = 0;
  if (host) {
    note.style.position = "absolute";
    note.style.visibility = "hidden";
    host.appendChild(note);
    height = note.offsetHeight;
    note.remove();
    note.style.position = "";
    note.style.visibility = "";
  }
  if (height > 0) return height + NOTE_GAP_PX;
  // Not laid out (no layout engine, or a hidden editor): about 7 px a character of prose.
  const lineHeight = editor.getOption(monaco.editor.EditorOption.lineHeight);
  const text = note.textContent ?? "";
  return Math.max(1, Math.ceil((text.length * 7) / width)) * lineHeight + NOTE_GAP_PX;
}

/** Draws `comments` in `editor` (whose `glyphMargin` option the caller turns on); returns the clean-up. */
export function showLineComments(editor: Editor, comments: Feedback[]): () => void {
  const model = editor.getModel();
  if (!model) return () => undefined;
  const collection = editor.createDecorationsCollection([]);
  const initial = lineMarks(comments, model.getLineCount());
  let zones: { id: string; note: HTMLElement }[] = [];
  // The marks (by their place in `initial`) shown in a note under their line.
  let under = new Set<number>();
  let width = -1;

  /** The marks where their lines are now: decorations move with the text as it is edited (and the notes with them). */
  const placed = (): LineMark[] => {
    const ranges = collection.getRanges();
    if (ranges.length !== initial.length) return initial;
    return initial.map((mark, i) => ({ ...mark, line: ranges[i]?.startLineNumber ?? mark.line }));
  };
  const pinNotes = () => {
    // A note stays in view when the code is scrolled sideways (its zone scrolls with the code).
    const left = editor.getScrollLeft();
    for (const { note } of zones) note.style.transform = left ? `translateX(${left}px)` : "";
  };
  const draw = (marks: LineMark[]) => {
    collection.set(markDecorations(marks, model, under));
    editor.changeViewZones((zoneAccess) => {
      zones.forEach((z) => zoneAccess.removeZone(z.id));
      zones = marks
        .filter((_, i) => under.has(i))
        .map((mark) => {
          const note = noteNode(mark, width);
          const heightInPx = noteHeight(editor, note, width);
          const domNode = document.createElement("div");
          domNode.className = "line-comment-zone-box";
          domNode.append(note);
          return { id: zoneAccess.addZone({ afterLineNumber: mark.line, heightInPx, domNode }), note };
        });
    });
    pinNotes();
  };
  /** Decides every mark again when the width changed (`fresh`); after typing, a mark only moves under its line (the line grew past the edge). */
  const layout = (fresh: boolean) => {
    const marks = placed();
    const nextWidth = noteWidth(editor);
    const wanted = marksNotFitting(editor, marks);
    const next = fresh ? wanted : new Set([...under, ...wanted]);
    if (nextWidth === width && next.size === under.size && [...next].every((i) => under.has(i))) return;
    width = nextWidth;
    under = next;
    draw(marks);
  };
  layout(true);

  let typing = 0;
  const subscriptions = [
    editor.onDidLayoutChange(() => layout(noteWidth(editor) !== width)),
    // A line typed past the edge moves its comment under it once typing pauses; it stays there
    // until the width changes, so the code below does not jump up and down as the student types.
    editor.onDidChangeModelContent(() => {
      window.clearTimeout(typing);
      typing = window.setTimeout(() => layout(false), 400);
    }),
    editor.onDidScrollChange((event) => {
      if (event.scrollLeftChanged) pinNotes();
    }),
  ];
  return () => {
    window.clearTimeout(typing);
    subscriptions.forEach((s) => s.dispose());
    collection.clear();
    editor.changeViewZones((zoneAccess) => zones.forEach((z) => zoneAccess.removeZone(z.id)));
    zones = [];
  };
}

/** Moves the cursor to `line`, shows it in the middle and focuses the editor. */
export function goToLine(editor: Editor, line: number): void {
  const count = editor.getModel()?.getLineCount() ?? line;
  const target = Math.max(1, Math.min(line, count));
  editor.setPosition({ lineNumber: target, column: 1 });
  editor.revealLineInCenter(target);
  editor.focus();
}
