import { useSyncExternalStore } from "react";
import type { ReconnectingSocket, SocketState } from "./socket";

const CLOSED: SocketState = { status: "closed", attempt: 0, retryAt: null, reason: null };

/** The live status of a socket ("connected", "reconnecting", ...) as React state. */
export function useSocketState(socket: ReconnectingSocket | null | undefined): SocketState {
  return useSyncExternalStore(
    (notify) => (socket ? socket.subscribe(notify) : () => undefined),
    () => (socket ? socket.getState() : CLOSED),
  );
}

/** Combines several sockets into the worst status, for one indicator in the header. */
export function worstState(states: SocketState[]): SocketState {
  const rank: Record<SocketState["status"], number> = { failed: 4, reconnecting: 3, connecting: 2, connected: 1, closed: 0 };
  return states.reduce<SocketState>((worst, state) => (rank[state.status] > rank[worst.status] ? state : worst), CLOSED);
}
