import { useCallback, useRef, useState } from "react";
import { ApiError } from "../api/errors";

export interface ActionState {
  pending: boolean;
  error: unknown;
  /** While rate limited: when the server said we may retry (ms since epoch). */
  blockedUntil: number | null;
}

/**
 * Wraps a mutation (button press, form submit): tracks pending, keeps the error for
 * display, and remembers a 429's retry_after so the button can count down.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [state, setState] = useState<ActionState>({ pending: false, error: null, blockedUntil: null });
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    setState((s) => ({ ...s, pending: true, error: null }));
    try {
      const result = await fnRef.current(...args);
      setState({ pending: false, error: null, blockedUntil: null });
      return result;
    } catch (error) {
      const retryAfter = error instanceof ApiError ? error.retryAfter : null;
      setState({ pending: false, error, blockedUntil: retryAfter ? Date.now() + retryAfter * 1000 : null });
      return undefined;
    }
  }, []);
  const reset = useCallback(() => setState({ pending: false, error: null, blockedUntil: null }), []);
  return { ...state, run, reset };
}
