/** The session event channel (/ws/sessions/<id>/): JSON events, as observer/contract.py defines them. */
import { useEffect, useRef, useState } from "react";
import { SESSION_FRAME_SHAPES, type SessionEvent } from "../api/events.gen";
import { parseFrame } from "./frames";
import { ReconnectingSocket, wsUrl } from "./socket";

export type { SessionEvent };

/** One event as the server sends it ({type, ...fields}); anything else is dropped with a warning. */
export function parseSessionEvent(text: string): SessionEvent | null {
  return parseFrame(text, SESSION_FRAME_SHAPES, "session");
}

/** Subscribes to a session's events while mounted; the handler may change between renders. */
export function useSessionEvents(
  sessionId: string | null,
  getToken: () => Promise<string | null>,
  handler: (event: SessionEvent) => void,
): ReconnectingSocket | null {
  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  const tokenRef = useRef(getToken);
  tokenRef.current = getToken;
  const [socket, setSocket] = useState<ReconnectingSocket | null>(null);

  useEffect(() => {
    if (!sessionId) return undefined;
    const next = new ReconnectingSocket({
      url: wsUrl(`/ws/sessions/${sessionId}/`),
      getToken: () => tokenRef.current(),
      onMessage: (message) => {
        if (typeof message.data !== "string") return;
        const event = parseSessionEvent(message.data);
        if (event) handlerRef.current(event);
      },
    });
    setSocket(next);
    next.start();
    return () => {
      next.stop();
      setSocket(null);
    };
  }, [sessionId]);

  return socket;
}
