/** One participant's assist socket (/ws/assist/<id>/): what they may ask, their questions and
 * answers as they stream in, and the actions ask and stop. It reconnects by itself; the
 * server then sends the answers so far, and the deltas after them land at their offsets. */
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { ASSIST_FRAME_SHAPES, type AssistFrame } from "../api/events.gen";
import { parseFrame } from "../live/frames";
import { ReconnectingSocket, wsUrl, type SocketState } from "../live/socket";
import { EMPTY, reduce } from "./answers";

export interface Ask {
  kind: "explain" | "hint" | "question";
  text: string;
  file?: string;
  line?: number;
}

export function useAssist(participantId: string | null, getToken: () => Promise<string | null>) {
  const [view, dispatch] = useReducer(reduce, EMPTY);
  const [connection, setConnection] = useState<SocketState["status"]>("closed");
  const socketRef = useRef<ReconnectingSocket | null>(null);
  const tokenRef = useRef(getToken);
  tokenRef.current = getToken;

  useEffect(() => {
    if (!participantId) return undefined;
    const socket = new ReconnectingSocket({
      url: wsUrl(`/ws/assist/${participantId}/`),
      getToken: () => tokenRef.current(),
      onMessage: (message) => {
        if (typeof message.data !== "string") return;
        const frame = parseFrame<AssistFrame>(message.data, ASSIST_FRAME_SHAPES, "assist");
        if (frame) dispatch(frame);
      },
    });
    const unsubscribe = socket.subscribe((state) => setConnection(state.status));
    socketRef.current = socket;
    socket.start();
    return () => {
      unsubscribe();
      socket.stop();
      socketRef.current = null;
    };
  }, [participantId]);

  const ask = useCallback((question: Ask): boolean => {
    return socketRef.current?.send(JSON.stringify({ type: "ask", ...question })) ?? false;
  }, []);
  const stop = useCallback((questionId: string): boolean => {
    return socketRef.current?.send(JSON.stringify({ type: "stop", question_id: questionId })) ?? false;
  }, []);
  return { view, connection, ask, stop };
}
