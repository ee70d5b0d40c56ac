import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { Auth } from "../api/client";
import { runs } from "../api/endpoints";
import { TerminalSession } from "./terminalSession";
import type { RunState } from "./runState";

const IDLE: RunState = { kind: "idle" };

/**
 * A TerminalSession for one participant while mounted, and its run state as React state.
 * With `auth`, the last finished run (and its output) is shown until a new one starts.
 */
export function useTerminalSession(participantId: string | null, getToken: (() => Promise<string | null>) | null, auth?: Auth) {
  const [session, setSession] = useState<TerminalSession | null>(null);
  const tokenRef = useRef(getToken);
  tokenRef.current = getToken;
  const authRef = useRef(auth);
  authRef.current = auth;
  useEffect(() => {
    if (!participantId || !tokenRef.current) return undefined;
    const next = new TerminalSession(participantId, () => tokenRef.current?.() ?? Promise.resolve(null));
    next.start();
    setSession(next);
    const controller = new AbortController();
    const credential = authRef.current;
    if (credential) {
      runs
        .last(participantId, credential, controller.signal)
        .then((run) => {
          if (run && !controller.signal.aborted) next.restore(run);
        })
        .catch(() => undefined); // no last run to show: the terminal starts empty, as before
    }
    return () => {
      controller.abort();
      next.destroy();
      setSession(null);
    };
  }, [participantId, getToken !== null]);
  const runState = useSyncExternalStore(
    (notify) => (session ? session.subscribe(notify) : () => undefined),
    () => (session ? session.getState() : IDLE),
  );
  return { session, runState };
}
