import type { DocumentHistory, HistoryEvent } from "../api/types";

/** The document's text after `step` events (0 = before any), from the nearest recorded snapshot. */
export function textAt(history: DocumentHistory, step: number): string {
  if (step <= 0) return history.base_text;
  if (step >= history.events.length) return history.final_text;
  for (let i = step - 1; i >= 0; i -= 1) {
    const text = history.events[i]?.text_after;
    if (typeof text === "string") return text;
  }
  return history.base_text;
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
