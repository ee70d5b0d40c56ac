/** A signed-in teacher's pages on fake sockets and a mocked API. */
import { act, screen } from "@testing-library/react";
import type { ReactElement } from "react";
import { expect } from "vitest";
import type { ClassSession, ParticipantStatus, User } from "../api/types";
import { tokenStore } from "../api/tokens";
import { FakeWebSocket } from "./fakeWebSocket";
import { participant, session } from "./fixtures";
import { mockApi, renderAt } from "./render";

export const teacher: User = { id: "t1", username: "mst", email: "", display_name: "Ms T", role: "teacher", guest: false };

export const ada: ParticipantStatus = { ...participant, id: "p1", display_name: "Ada" };
export const bob: ParticipantStatus = { ...participant, id: "p2", display_name: "Bob" };

/** A live session of its own id (the classroom hook keeps a picture per session id). */
export function liveSession(id: string, patch: Partial<ClassSession> = {}): ClassSession {
  return { ...session, id, title: "Loops", ...patch };
}

/** Renders `element` at `path` (matching `route`) signed in as the teacher, waits for the
 * `ready` test id (if any) and opens every socket. */
export async function openAsTeacher(path: string, route: string, element: ReactElement, routes: Record<string, unknown>, ready: string | null) {
  tokenStore.setPair({ access: "header.eyJleHAiOjk5OTk5OTk5OTl9.sig", refresh: "r" });
  const fetcher = mockApi({ "GET /api/auth/me": teacher, ...routes });
  renderAt(path, [{ path: route, element }]);
  if (ready) expect(await screen.findByTestId(ready)).toBeInTheDocument();
  await act(async () => {
    await Promise.resolve();
  });
  openSockets();
  return fetcher;
}

export function openSockets() {
  for (const socket of FakeWebSocket.instances) if (socket.readyState === FakeWebSocket.CONNECTING) act(() => socket.serverOpen());
}
