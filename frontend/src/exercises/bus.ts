/** Exercise events from the page's one session socket, to the exercise panels mounted in it. */
import type { SessionEvent } from "../api/events.gen";

type Listener = (event: SessionEvent) => void;
const listeners = new Set<Listener>();
const TYPES = new Set(["exercise.progress", "exercise.result", "exercise.graded", "exercises.changed", "exercise.regrade", "feedback.added"]);

/** Hand every session event here; exercise panels get the ones they need. */
export function takeExerciseEvent(event: SessionEvent): void {
  if (!TYPES.has(event.type)) return;
  for (const listener of listeners) listener(event);
}

export function onExerciseEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
