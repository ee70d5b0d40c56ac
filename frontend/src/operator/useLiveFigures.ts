import { useEffect, useMemo, useState } from "react";
import { userCredential } from "../auth/credential";
import { ReconnectingSocket, wsUrl, type SocketState } from "../live/socket";
import { useSocketState } from "../live/useSocketState";
import type { DashboardFrame, Figures } from "./types";

export interface LiveFigures {
  figures: Figures | null;
  /** The figures before the latest push (to tell what changed). */
  previous: Figures | null;
  /** The server's last error frame (figures unavailable), cleared by the next figures. */
  problem: string | null;
  socket: ReconnectingSocket;
  state: SocketState;
}

/** The figures the server pushes on /ws/monitoring/ (on connect, on every run event, on a slow tick). */
export function useLiveFigures(WebSocketImpl?: typeof WebSocket): LiveFigures {
  const [current, setCurrent] = useState<{ figures: Figures | null; previous: Figures | null }>({
    figures: null,
    previous: null,
  });
  const [problem, setProblem] = useState<string | null>(null);

  const socket = useMemo(
    () =>
      new ReconnectingSocket({
        url: wsUrl("/ws/monitoring/"),
        getToken: userCredential.getToken,
        WebSocketImpl,
        onMessage: (event) => {
          if (typeof event.data !== "string") return;
          let frame: DashboardFrame;
          try {
            frame = JSON.parse(event.data) as DashboardFrame;
          } catch {
            return;
          }
          if (frame.type === "figures") {
            const { type: _type, ...figures } = frame;
            setCurrent((old) => ({ figures, previous: old.figures }));
            setProblem(null);
          } else if (frame.type === "error") {
            setProblem(frame.message);
          }
        },
      }),
    [WebSocketImpl],
  );

  useEffect(() => {
    socket.start();
    return () => socket.stop();
  }, [socket]);

  const state = useSocketState(socket);
  return { ...current, problem, socket, state };
}
