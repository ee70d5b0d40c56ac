/**
 * The teacher's line comments (exercises' Feedback) as pure functions: which comments
 * belong beside the file on screen, one entry per commented line for the editor's
 * decorations, and what a screen reader hears when one arrives. Tested without a browser.
 */
import type { FeedbackAdded } from "../api/events.gen";
import type { Feedback } from "../exercises/api";

export type { Feedback };

/** A `feedback.added` event as the REST list shows the same comment. */
export function fromEvent(event: FeedbackAdded, author = ""): Feedback {
  return {
    id: event.feedback_id,
    participant_id: event.participant_id,
    submission_id: event.submission_id,
    file_name: event.file_name,
    line: event.line,
    text: event.text,
    author,
    created_at: event.created_at,
  };
}

/** Adds a comment once (an event and the list's reload may both bring it), in the list's order. */
export function withComment(comments: Feedback[], added: Feedback): Feedback[] {
  if (comments.some((c) => c.id === added.id)) return comments;
  return sortComments([...comments, added]);
}

/** By file, then line, then time: the order the server lists them in. */
export function sortComments(comments: Feedback[]): Feedback[] {
  return comments.slice().sort((a, b) => a.file_name.localeCompare(b.file_name) || a.line - b.line || a.created_at.localeCompare(b.created_at));
}

/**
 * The comments to show beside `fileName`: on the live file (no submission), and, when
 * `submissionId` is given, on that submission only (a viewer of one submission shows its
 * own comments, the live editor every comment on the file: a comment on a submission is
 * still about lines the student has in front of them).
 */
export function commentsForFile(comments: Feedback[], fileName: string, submissionId?: string): Feedback[] {
  return comments.filter((c) => c.file_name === fileName && (submissionId === undefined || c.submission_id === submissionId));
}

/** The comments made on one submission (shown with its result). */
export function commentsOnSubmission(comments: Feedback[], submissionId: string): Feedback[] {
  return comments.filter((c) => c.submission_id === submissionId);
}

export interface LineMark {
  /** 1-based, within the file (a line past its end is shown on its last line). */
  line: number;
  comments: Feedback[];
}

/** One mark per commented line, lines in order, a line's comments oldest first. */
export function lineMarks(comments: Feedback[], lineCount: number): LineMark[] {
  const byLine = new Map<number, Feedback[]>();
  for (const comment of comments) {
    const line = Math.max(1, Math.min(comment.line, Math.max(1, lineCount)));
    byLine.set(line, [...(byLine.get(line) ?? []), comment]);
  }
  return [...byLine.entries()]
    .sort(([a], [b]) => a - b)
    .map(([line, list]) => ({ line, comments: list.slice().sort((a, b) => a.created_at.localeCompare(b.created_at)) }));
}

const INLINE_MAX = 60;

/** The short text shown after the line in the editor (the whole text is in the hover and the panel). */
export function inlineText(mark: LineMark): string {
  const last = mark.comments[mark.comments.length - 1];
  if (!last) return "";
  const text = last.text.replace(/\s+/g, " ").trim();
  const short = text.length > INLINE_MAX ? `${text.slice(0, INLINE_MAX - 1)}…` : text;
  // Words, not an emoji: a classroom machine may have no emoji font (a box is drawn instead).
  const who = last.author || "Teacher";
  return mark.comments.length > 1 ? `${who}: ${short} (+${mark.comments.length - 1} more)` : `${who}: ${short}`;
}

/** How many character cells `text` takes in a monospace editor: a tab to the next stop, a wide (CJK, emoji) character two. */
export function displayColumns(text: string, tabSize = 4): number {
  let columns = 0;
  for (const ch of text) {
    if (ch === "\t") columns += tabSize - (columns % tabSize);
    else columns += (ch.codePointAt(0) ?? 0) >= 0x1100 ? 2 : 1;
  }
  return columns;
}

/** Room the inline text needs besides its characters: its padding and the cursor's place after the line. */
const INLINE_EXTRA_PX = 14;

/**
 * Whether the inline text fits after its line inside the editor's visible width (`lineText`
 * the line as typed, `charWidth` the editor font's cell). When it does not (a phone, a long
 * line), the comment is shown whole under its line instead: cut off at the edge, a student
 * could not read it.
 */
export function inlineFits(lineText: string, inline: string, charWidth: number, visibleWidth: number, tabSize = 4): boolean {
  // The decoration's text starts with two spaces (editorComments).
  const columns = displayColumns(lineText, tabSize) + 2 + displayColumns(inline);
  return columns * charWidth + INLINE_EXTRA_PX <= visibleWidth;
}

/** The note under a line, whole: each comment on the line, oldest first, with who wrote it. */
export function zoneEntries(mark: LineMark): { who: string; text: string }[] {
  return mark.comments.map((c) => ({ who: c.author || "Teacher", text: c.text }));
}

/** The hover's Markdown: each comment with who wrote it (plain text, never HTML). */
export function hoverText(mark: LineMark): string {
  return mark.comments
    .map((c) => `**${escapeMarkdown(c.author || "Teacher")}**${c.submission_id ? " (on a submission)" : ""}: ${escapeMarkdown(c.text)}`)
    .join("\n\n");
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (ch) => `\\${ch}`);
}

/** What a screen reader hears, politely, when a comment arrives (the student's words, or a teacher's). */
export function announcement(comment: Feedback, reader: "student" | "teacher" = "student"): string {
  const from = reader === "student" ? "from your teacher" : `from ${comment.author || "a teacher"}`;
  return `New comment ${from} on ${comment.file_name}, line ${comment.line}: ${comment.text}`;
}
