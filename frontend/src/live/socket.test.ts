import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReconnectingSocket, isFatalClose, wsUrl } from "./socket";
import { FakeWebSocket, FakeWebSocketImpl } from "../test/fakeWebSocket";

function makeSocket(getToken: () => string | null = () => "tok") {
  return new ReconnectingSocket({ url: "ws://x/ws/test/", getToken, WebSocketImpl: FakeWebSocketImpl, minDelayMs: 100, maxDelayMs: 1000 });
}

describe("ReconnectingSocket", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("offers the token as subprotocols and reports connected", async () => {
    const socket = makeSocket();
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.last().protocols).toEqual(["observer", "bearer.tok"]);
    expect(socket.state.status).toBe("connecting");
    FakeWebSocket.last().serverOpen();
    expect(socket.state.status).toBe("connected");
    socket.stop();
  });

  it("reconnects with backoff after the connection drops, then recovers", async () => {
    const socket = makeSocket();
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last().serverOpen();
    FakeWebSocket.last().serverClose(1006);
    expect(socket.state.status).toBe("reconnecting");
    expect(socket.state.attempt).toBe(1);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last().serverClose(1006);
    expect(socket.state.attempt).toBe(2);
    await vi.advanceTimersByTimeAsync(300);
    expect(FakeWebSocket.instances).toHaveLength(3);
    FakeWebSocket.last().serverOpen();
    expect(socket.state).toMatchObject({ status: "connected", attempt: 0 });
    socket.stop();
  });

  it("gives up on a policy-violation close instead of hammering the server", async () => {
    const socket = makeSocket();
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last().serverClose(1008, "authentication required");
    expect(socket.state).toMatchObject({ status: "failed", reason: "authentication required" });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it("reconnects after a too-slow close (4408) so the document resynchronises", async () => {
    const socket = makeSocket();
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last().serverOpen();
    FakeWebSocket.last().serverClose(4408, "too slow");
    expect(socket.state).toMatchObject({ status: "reconnecting", attempt: 1, reason: "too slow" });
    await vi.advanceTimersByTimeAsync(200);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last().serverOpen();
    expect(socket.state.status).toBe("connected");
    socket.stop();
  });

  it("fails without a token", async () => {
    const socket = makeSocket(() => null);
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.state.status).toBe("failed");
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it("stops retrying once stopped and ignores late events", async () => {
    const socket = makeSocket();
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeWebSocket.last();
    socket.stop();
    expect(socket.state.status).toBe("closed");
    first.serverClose(1006);
    await vi.advanceTimersByTimeAsync(5000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it("retryNow skips the wait", async () => {
    const socket = makeSocket();
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last().serverClose(1006);
    FakeWebSocket.last();
    socket.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.stop();
  });

  it("sends only while open", async () => {
    const socket = makeSocket();
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.send("x")).toBe(false);
    FakeWebSocket.last().serverOpen();
    expect(socket.send("y")).toBe(true);
    expect(FakeWebSocket.last().sent).toEqual(["y"]);
    socket.stop();
  });
});

describe("helpers", () => {
  it("classifies close codes", () => {
    expect(isFatalClose(1008)).toBe(true);
    expect(isFatalClose(4403)).toBe(true);
    expect(isFatalClose(4404)).toBe(true);
    expect(isFatalClose(4429)).toBe(false);
    expect(isFatalClose(4408)).toBe(false);
    expect(isFatalClose(4400)).toBe(true);
    expect(isFatalClose(1006)).toBe(false);
    expect(isFatalClose(1011)).toBe(false);
  });

  it("builds ws and wss urls from the page location", () => {
    expect(wsUrl("/ws/a/", { protocol: "http:", host: "h:8000" } as Location)).toBe("ws://h:8000/ws/a/");
    expect(wsUrl("/ws/a/", { protocol: "https:", host: "h" } as Location)).toBe("wss://h/ws/a/");
  });
});
