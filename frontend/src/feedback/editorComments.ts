/**
 * The teacher's comments drawn in a Monaco editor: a speech-bubble glyph in the margin, the
 * line tinted, the latest comment's text after the line, and every comment in the hover.
 * Decorations move with the text as it is edited; they are drawn again when the comments change.
 * (Screen readers do not read decorations: the page lists the same comments in a panel.)
 */
import "./feedback.css";
import type { editor as MonacoNS } from "monaco-editor";
import { monaco } from "../editor/monaco";
import { hoverText, inlineText, lineMarks, type Feedback } from "./comments";

type Editor = MonacoNS.IStandaloneCodeEditor;

export function lineCommentDecorations(comments: Feedback[], model: MonacoNS.ITextModel): MonacoNS.IModelDeltaDecoration[] {
  return lineMarks(comments, model.getLineCount()).map((mark) => {
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
        after: { content: `  ${inlineText(mark)}`, inlineClassName: "line-comment-inline" },
        stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges,
      },
    };
  });
}

/** Draws `comments` in `editor` (whose `glyphMargin` option the caller turns on); returns the clean-up. */
export function showLineComments(editor: Editor, comments: Feedback[]): () => void {
  const model = editor.getModel();
  if (!model) return () => undefined;
  const collection = editor.createDecorationsCollection(lineCommentDecorations(comments, model));
  return () => collection.clear();
}

/** Moves the cursor to `line`, shows it in the middle and focuses the editor. */
export function goToLine(editor: Editor, line: number): void {
  const count = editor.getModel()?.getLineCount() ?? line;
  const target = Math.max(1, Math.min(line, count));
  editor.setPosition({ lineNumber: target, column: 1 });
  editor.revealLineInCenter(target);
  editor.focus();
}

