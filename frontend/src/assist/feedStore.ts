/**
 * The teacher's live AI help feed: the questions of the session they watch, as the session
 * socket's `assist.asked` / `assist.answered` events bring them (teacher/useClassroom hands
 * every event to `takeSessionEvent`), on top of the log loaded over REST. A module store
 * rather than React state in one component, because the help card of a raised hand shows
 * the same student's latest answer.
 */
import { useSyncExternalStore } from "react";
import type { AssistQuestion } from "../api/events.gen";

interface Feed {
  sessionId: string | null;
  questions: AssistQuestion[]; // oldest first
  disabled: string[] | null; // from assist.policy, when it changed while watching
}

let feed: Feed = { sessionId: null, questions: [], disabled: null };
const listeners = new Set<() => void>();

function set(next: Feed): void {
  feed = next;
  listeners.forEach((listener) => listener());
}

function merge(questions: AssistQuestion[], question: AssistQuestion): AssistQuestion[] {
  const index = questions.findIndex((q) => q.id === question.id);
  if (index === -1) return [...questions, question];
  const next = questions.slice();
  next[index] = question;
  return next;
}

/** Start (or keep) the feed of `sessionId` with the log as loaded. */
export function loadFeed(sessionId: string, questions: AssistQuestion[]): void {
  const live = feed.sessionId === sessionId ? feed.questions : [];
  let merged = questions;
  for (const question of live) merged = merge(merged, question); // events newer than the load win
  set({ sessionId, questions: merged, disabled: feed.sessionId === sessionId ? feed.disabled : null });
}

/** A session socket event: kept when it is AI help's (others are ignored). */
export function takeSessionEvent(event: { type: string }): void {
  if (event.type === "assist.asked" || event.type === "assist.answered") {
    const { question } = event as unknown as { question: AssistQuestion };
    set({ ...feed, questions: merge(feed.questions, question) });
  } else if (event.type === "assist.policy") {
    set({ ...feed, disabled: (event as unknown as { disabled_participants: string[] }).disabled_participants });
  }
}

export function resetFeed(): void {
  set({ sessionId: null, questions: [], disabled: null });
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function useFeed(): Feed {
  return useSyncExternalStore(subscribe, () => feed);
}

/** The student's latest question with an answer (for their help card). */
export function latestAnswered(questions: AssistQuestion[], participantId: string): AssistQuestion | null {
  for (let i = questions.length - 1; i >= 0; i -= 1) {
    const question = questions[i];
    if (question && question.participant_id === participantId && question.status !== "failed") return question;
  }
  return null;
}
