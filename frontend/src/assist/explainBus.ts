/** "Explain this error" pressed beside a failed run (the workspace's terminal) reaches the
 * assist panel in the side bar through this tiny bus rather than through props threaded
 * across components that do not otherwise know about AI help; the panel says in turn
 * whether it can ask now, so the button shows only then. */
import { useSyncExternalStore } from "react";

type Listener = () => void;
const requests = new Set<Listener>();
const watchers = new Set<Listener>();
let available = false;

export function requestExplain(): void {
  requests.forEach((listener) => listener());
}

export function onExplainRequested(listener: Listener): () => void {
  requests.add(listener);
  return () => {
    requests.delete(listener);
  };
}

export function setExplainAvailable(next: boolean): void {
  if (next === available) return;
  available = next;
  watchers.forEach((listener) => listener());
}

export function useExplainAvailable(): boolean {
  return useSyncExternalStore(
    (listener) => {
      watchers.add(listener);
      return () => {
        watchers.delete(listener);
      };
    },
    () => available,
  );
}
