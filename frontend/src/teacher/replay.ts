import type { DocumentHistory, HistoryEvent } from "../api/types";

/** Applies one history edit (positions in code points, as the server counts them). */
export function applyEdit(text: string, edit: { pos: number; delete: number; insert: string }): string {
  const points = Array.from(text);
  points.splice(edit.pos, edit.delete, ...Array.from(edit.insert));
  return points.join("");
}

/**
 * The document's text after `step` events (0 = before any): from the nearest keyframe
 * (an event carrying `text_after`, or `base_text`), replaying the edits after it.
 */
export function textAt(history: DocumentHistory, step: number): string {
  const events = history.events;
  if (step <= 0) return history.base_text;
  if (step >= events.length && events[events.length - 1]?.text_after === undefined) return history.final_text;
  const last = Math.min(step, events.length) - 1;
  let start = last;
  while (start >= 0 && typeof events[start]?.text_after !== "string") start -= 1;
  let text = start >= 0 ? (events[start]?.text_after ?? "") : history.base_text;
  for (let i = start + 1; i <= last; i += 1) {
    const edit = events[i]?.edit;
    if (edit) text = applyEdit(text, edit);
  }
  return text;
}

export function authorName(event: HistoryEvent | undefined): string {
  const author = event?.author;
  if (!author) return "";
  if (typeof author === "string") return author;
  if (author.kind === "teacher") return `${author.name || "Teacher"} (teacher)`;
  return author.name;
}

export interface ReplaySummary {
  pastes: number;
  pastedChars: number;
  durationMs: number;
}

export function summarize(events: HistoryEvent[]): ReplaySummary {
  const pastes = events.filter((e) => e.paste);
  const first = events[0] ? Date.parse(events[0].at) : 0;
  const last = events.length ? Date.parse(events[events.length - 1]!.at) : 0;
  return { pastes: pastes.length, pastedChars: pastes.reduce((n, e) => n + e.inserted, 0), durationMs: Math.max(0, last - first) };
}

/** Delay before showing the next step when playing: real gaps, compressed, capped. */
export function playDelay(events: HistoryEvent[], step: number, speed: number): number {
  const current = events[step - 1];
  const next = events[step];
  if (!current || !next) return 120 / speed;
  const gap = Date.parse(next.at) - Date.parse(current.at);
  return Math.min(800, Math.max(30, Number.isFinite(gap) ? gap : 120)) / speed;
}
