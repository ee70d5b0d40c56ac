import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionIndicator } from "./ConnectionIndicator";
import { ReconnectingSocket } from "../live/socket";
import { useSocketState } from "../live/useSocketState";
import { FakeWebSocket, FakeWebSocketImpl } from "../test/fakeWebSocket";

function Live({ socket }: { socket: ReconnectingSocket }) {
  const state = useSocketState(socket);
  return <ConnectionIndicator state={state} onRetryNow={socket.retryNow} />;
}

describe("ConnectionIndicator", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("follows the socket: live, reconnecting with a countdown, live again", async () => {
    const socket = new ReconnectingSocket({ url: "ws://x/", getToken: () => "t", WebSocketImpl: FakeWebSocketImpl, minDelayMs: 2000, maxDelayMs: 2000 });
    render(<Live socket={socket} />);
    await act(async () => {
      socket.start();
      await vi.advanceTimersByTimeAsync(0);
    });
    expect(screen.getByTestId("connection")).toHaveAttribute("data-status", "connecting");
    act(() => FakeWebSocket.last().serverOpen());
    expect(screen.getByTestId("connection")).toHaveTextContent("Live");
    act(() => FakeWebSocket.last().serverClose(1006));
    expect(screen.getByTestId("connection")).toHaveAttribute("data-status", "reconnecting");
    expect(screen.getByTestId("connection").textContent).toMatch(/Reconnecting in \d s/);
    await act(async () => {
      screen.getByRole("button", { name: "Retry now" }).click();
      await vi.advanceTimersByTimeAsync(0);
    });
    act(() => FakeWebSocket.last().serverOpen());
    expect(screen.getByTestId("connection")).toHaveTextContent("Live");
    socket.stop();
  });

  it("shows the reason when the server refuses", () => {
    render(<ConnectionIndicator state={{ status: "failed", attempt: 0, retryAt: null, reason: "Not authorized." }} />);
    expect(screen.getByTestId("connection")).toHaveTextContent("Not authorized.");
  });
  it("says Connected, not a green Live, once the session has ended", () => {
    const connected = { status: "connected" as const, attempt: 0, retryAt: null, reason: null };
    const { rerender } = render(<ConnectionIndicator state={connected} ended />);
    expect(screen.getByTestId("connection")).toHaveTextContent("Connected");
    expect(screen.getByTestId("connection")).not.toHaveTextContent("Live");
    expect(screen.getByTestId("connection")).toHaveClass("conn-ended");
    rerender(<ConnectionIndicator state={connected} />);
    expect(screen.getByTestId("connection")).toHaveTextContent("Live");
  });
});
