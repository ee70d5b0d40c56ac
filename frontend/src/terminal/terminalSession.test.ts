import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TerminalSession } from "./terminalSession";
import { FakeWebSocket, FakeWebSocketImpl } from "../test/fakeWebSocket";

async function connected() {
  const session = new TerminalSession("p1", () => Promise.resolve("tok"), FakeWebSocketImpl);
  session.start();
  await vi.advanceTimersByTimeAsync(0);
  const socket = FakeWebSocket.last();
  socket.serverOpen();
  return { session, socket };
}

describe("TerminalSession", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("connects to the participant's terminal with the token", async () => {
    const { socket, session } = await connected();
    expect(socket.url).toMatch(/\/ws\/terminal\/p1\/$/);
    expect(socket.protocols).toEqual(["observer", "bearer.tok"]);
    session.destroy();
  });

  it("sends a run with the terminal size and follows the run to its exit", async () => {
    const { session, socket } = await connected();
    session.resize(30, 100);
    expect(session.run("main.py")).toBe(true);
    expect(socket.sentJson()).toEqual([{ type: "run", entry: "main.py", rows: 30, cols: 100 }]);
    expect(session.getState().kind).toBe("requested");
    expect(session.run("main.py")).toBe(false);
    socket.serverSend(JSON.stringify({ type: "started", run_id: "r", language: "python", entry: "main.py" }));
    expect(session.getState().kind).toBe("running");
    socket.serverSend(JSON.stringify({ type: "exit", run_id: "r", status: "ok", exit_code: 0, signal: null, wall_ms: 5, cpu_ms: 4, peak_memory_kb: 100, output_bytes: 3, message: "" }));
    expect(session.getState()).toMatchObject({ kind: "exited", exit: { status: "ok" } });
    session.destroy();
  });

  it("streams output bytes to listeners and typed input as binary stdin", async () => {
    const { session, socket } = await connected();
    const chunks: string[] = [];
    session.onOutput((chunk) => chunks.push(new TextDecoder().decode(chunk as Uint8Array)));
    session.input("ignored while idle");
    expect(socket.sent).toHaveLength(0);
    session.run("main.py");
    socket.serverSend(JSON.stringify({ type: "started", run_id: "r", language: "python", entry: "main.py" }));
    socket.serverSend(new TextEncoder().encode("Name? "));
    expect(chunks).toEqual(["Name? "]);
    session.input("Ada\r");
    const stdin = socket.sent[1];
    expect(stdin).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(stdin as Uint8Array)).toBe("Ada\r");
    session.destroy();
  });

  it("turns Ctrl+C into interrupt and Ctrl+D into eof; resize during a run is sent", async () => {
    const { session, socket } = await connected();
    session.run("main.py");
    socket.serverSend(JSON.stringify({ type: "started", run_id: "r", language: "python", entry: "main.py" }));
    session.input("\x03");
    session.input("\x04");
    session.resize(10, 40);
    session.stop();
    expect(socket.sentJson().slice(1)).toEqual([{ type: "interrupt" }, { type: "eof" }, { type: "resize", rows: 10, cols: 40 }, { type: "stop" }]);
    session.destroy();
  });

  it("reports a refused run and a connection lost mid-run", async () => {
    const { session, socket } = await connected();
    session.run("main.py");
    socket.serverSend(JSON.stringify({ type: "error", code: "rate_limited", message: "Too many runs", retry_after: 3 }));
    expect(session.getState()).toMatchObject({ kind: "error", code: "rate_limited" });
    session.run("main.py");
    socket.serverSend(JSON.stringify({ type: "started", run_id: "r", language: "python", entry: "main.py" }));
    socket.serverClose(1006);
    expect(session.getState()).toMatchObject({ kind: "error", code: "disconnected" });
    session.destroy();
  });

  it("refuses to run while disconnected", async () => {
    const session = new TerminalSession("p1", () => Promise.resolve("tok"), FakeWebSocketImpl);
    expect(session.run("main.py")).toBe(false);
    expect(session.getState()).toMatchObject({ kind: "error", code: "disconnected" });
  });
  it("shows the last run until a new one starts, and never over a run already seen", async () => {
    const { session, socket } = await connected();
    const shown: string[] = [];
    session.onHistory((run) => shown.push(run.output_tail));
    const last = { run_id: "r0", entry: "main.py", status: "runtime-error" as const, exit_code: 1, signal: null, wall_ms: 30, cpu_ms: 20, peak_memory_kb: 900, output_bytes: 40, message: "exited with code 1", output_tail: "Traceback...\r\nNameError: x\r\n", finished_at: null };
    expect(session.restore(last)).toBe(true);
    expect(session.getState()).toMatchObject({ kind: "exited", exit: { run_id: "r0", status: "runtime-error", exit_code: 1 } });
    expect(session.getHistory()).toBe(last);
    expect(shown).toEqual(["Traceback...\r\nNameError: x\r\n"]);

    socket.serverSend(JSON.stringify({ type: "started", run_id: "r1", language: "python", entry: "main.py" }));
    expect(session.getHistory()).toBeNull();
    expect(session.restore(last)).toBe(false); // the answer came late: the live run wins
    expect(session.getState().kind).toBe("running");
    session.destroy();
  });
});
