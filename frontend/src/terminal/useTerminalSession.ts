import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { TerminalSession } from "./terminalSession";
import type { RunState } from "./runState";

const IDLE: RunState = { kind: "idle" };

/** A TerminalSession for one participant while mounted, and its run state as React state. */
export function useTerminalSession(participantId: string | null, getToken: (() => Promise<string | null>) | null) {
  const [session, setSession] = useState<TerminalSession | null>(null);
  const tokenRef = useRef(getToken);
  tokenRef.current = getToken;
  useEffect(() => {
    if (!participantId || !tokenRef.current) return undefined;
    const next = new TerminalSession(participantId, () => tokenRef.current?.() ?? Promise.resolve(null));
    next.start();
    setSession(next);
    return () => {
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
