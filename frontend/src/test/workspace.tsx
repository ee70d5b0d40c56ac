/** A student's workspace opened on fake sockets and a mocked API (the editor and terminal are mocked by each test file). */
import { act, screen } from "@testing-library/react";
import { expect } from "vitest";
import { tokenStore } from "../api/tokens";
import Workspace from "../student/Workspace";
import { FakeWebSocket } from "./fakeWebSocket";
import { file, LIMITS, participant, session } from "./fixtures";
import { mockApi, renderAt } from "./render";

export { file, LIMITS, participant, session };

export function sockets(path: string) {
  return FakeWebSocket.instances.filter((s) => s.url.includes(path));
}

/** Opens /s/s1 as the guest Ada; `extra` adds or overrides API routes. */
export async function openWorkspace(extra: Record<string, unknown> = {}) {
  tokenStore.setGuest({ token: "g", sessionId: "s1", participantId: "p1", displayName: "Ada" });
  const fetcher = mockApi({
    "GET /api/sessions/current": { session, participant, files: [file] },
    "GET /api/me/limits": LIMITS,
    ...extra,
  });
  renderAt("/s/s1", [{ path: "/s/:sessionId", element: <Workspace /> }]);
  expect(await screen.findByTestId("workspace")).toBeInTheDocument();
  await act(async () => {
    await Promise.resolve();
  });
  for (const socket of FakeWebSocket.instances) if (socket.readyState === FakeWebSocket.CONNECTING) act(() => socket.serverOpen());
  return fetcher;
}
