import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import { MESSAGE_AWARENESS, MESSAGE_SYNC, YjsProvider } from "./yjsProvider";
import { FakeWebSocket, FakeWebSocketImpl } from "../test/fakeWebSocket";

/** A minimal server copy of the document answering the y-protocols messages. */
class FakeServer {
  doc = new Y.Doc();

  handle(socket: FakeWebSocket, message: Uint8Array): void {
    const decoder = decoding.createDecoder(message);
    const type = decoding.readVarUint(decoder);
    if (type !== MESSAGE_SYNC) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    const syncType = syncProtocol.readSyncMessage(decoder, encoder, this.doc, "client");
    if (encoding.length(encoder) > 1) socket.serverSend(encoding.toUint8Array(encoder));
    if (syncType === syncProtocol.messageYjsSyncStep1) {
      const step1 = encoding.createEncoder();
      encoding.writeVarUint(step1, MESSAGE_SYNC);
      syncProtocol.writeSyncStep1(step1, this.doc);
      socket.serverSend(encoding.toUint8Array(step1));
    }
  }

  drain(socket: FakeWebSocket): void {
    const pending = socket.sent.splice(0);
    for (const message of pending) if (message instanceof Uint8Array) this.handle(socket, message);
  }
}

function makeProvider() {
  return new YjsProvider({ url: "ws://x/ws/documents/1/", getToken: () => "t", WebSocketImpl: FakeWebSocketImpl });
}

describe("YjsProvider", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("syncs the server's content on connect and reports synced", async () => {
    const server = new FakeServer();
    server.doc.getText("content").insert(0, "print('hi')");
    const provider = makeProvider();
    const synced = vi.fn();
    provider.onSynced(synced);
    provider.connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = FakeWebSocket.last();
    expect(socket.binaryType).toBe("arraybuffer");
    socket.serverOpen();
    server.drain(socket);
    expect(provider.doc.getText("content").toString()).toBe("print('hi')");
    expect(provider.synced).toBe(true);
    expect(synced).toHaveBeenCalledWith(true);
    provider.destroy();
  });

  it("sends local edits as updates and applies remote updates", async () => {
    const server = new FakeServer();
    const provider = makeProvider();
    provider.connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = FakeWebSocket.last();
    socket.serverOpen();
    server.drain(socket);
    provider.doc.getText("content").insert(0, "abc");
    server.drain(socket);
    expect(server.doc.getText("content").toString()).toBe("abc");

    const teacher = new Y.Doc();
    Y.applyUpdate(teacher, Y.encodeStateAsUpdate(server.doc));
    teacher.getText("content").insert(3, "!");
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(teacher, Y.encodeStateVector(provider.doc)));
    socket.serverSend(encoding.toUint8Array(encoder));
    expect(provider.doc.getText("content").toString()).toBe("abc!");
    // A remote update is not echoed back.
    expect(socket.sent).toHaveLength(0);
    provider.destroy();
  });

  it("keeps offline edits and exchanges them after reconnecting", async () => {
    const server = new FakeServer();
    const provider = makeProvider();
    provider.connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last().serverOpen();
    server.drain(FakeWebSocket.last());
    FakeWebSocket.last().serverClose(1006);
    expect(provider.synced).toBe(false);
    expect(provider.state.status).toBe("reconnecting");

    provider.doc.getText("content").insert(0, "offline ");
    server.doc.getText("content").insert(0, "server ");
    await vi.advanceTimersByTimeAsync(1000);
    const second = FakeWebSocket.last();
    expect(FakeWebSocket.instances).toHaveLength(2);
    second.serverOpen();
    server.drain(second);
    server.drain(second);
    expect(provider.doc.getText("content").toString()).toBe(server.doc.getText("content").toString());
    expect(server.doc.getText("content").toString()).toContain("offline ");
    expect(server.doc.getText("content").toString()).toContain("server ");
    expect(provider.state.status).toBe("connected");
    provider.destroy();
  });

  it("exchanges awareness and forgets remote cursors on disconnect", async () => {
    const provider = makeProvider();
    provider.awareness.setLocalStateField("user", { name: "Ada" });
    provider.connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = FakeWebSocket.last();
    socket.serverOpen();
    const kinds = socket.sent.map((m) => decoding.readVarUint(decoding.createDecoder(m as Uint8Array)));
    expect(kinds).toEqual([MESSAGE_SYNC, MESSAGE_AWARENESS]);

    const other = new awarenessProtocol.Awareness(new Y.Doc());
    other.setLocalStateField("user", { name: "Teacher" });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(other, [other.clientID]));
    socket.serverSend(encoding.toUint8Array(encoder));
    expect(provider.awareness.getStates().get(other.clientID)).toEqual({ user: { name: "Teacher" } });

    socket.serverClose(1006);
    expect(provider.awareness.getStates().has(other.clientID)).toBe(false);
    expect(provider.awareness.getLocalState()).toEqual({ user: { name: "Ada" } });
    provider.destroy();
    other.destroy();
  });
});

describe("YjsProvider notices", () => {
  beforeEach(() => FakeWebSocket.reset());

  it("reports the server's JSON text frames", async () => {
    const provider = makeProvider();
    const notices: unknown[] = [];
    provider.onNotice((n) => notices.push(n));
    provider.connect();
    await Promise.resolve();
    await Promise.resolve();
    const socket = FakeWebSocket.last();
    socket.serverOpen();
    socket.serverSend(JSON.stringify({ type: "readonly", readonly: true }));
    socket.serverSend(JSON.stringify({ type: "error", code: "session_ended", message: "The session has ended." }));
    socket.serverSend("not json");
    socket.serverSend(JSON.stringify({ type: "readonly", readonly: "yes" })); // not in the contract: dropped
    socket.serverSend(JSON.stringify({ type: "snapshot", participants: [], help: [] })); // another socket's frame
    expect(notices).toEqual([
      { type: "readonly", readonly: true },
      { type: "error", code: "session_ended", message: "The session has ended." },
    ]);
    provider.destroy();
  });
});

describe("YjsProvider.flush", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("resolves when the server answers the barrier's step 1, after earlier updates", async () => {
    const server = new FakeServer();
    const provider = makeProvider();
    provider.connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = FakeWebSocket.last();
    socket.serverOpen();
    server.drain(socket);
    provider.doc.getText("content").insert(0, "x = 1");
    const flushed = provider.flush(1000);
    server.drain(socket);
    await expect(flushed).resolves.toBe(true);
    expect(server.doc.getText("content").toString()).toBe("x = 1");
    provider.destroy();
  });

  it("gives up after the timeout, and at once when offline", async () => {
    const provider = makeProvider();
    await expect(provider.flush()).resolves.toBe(false);
    provider.connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last().serverOpen();
    const flushed = provider.flush(500);
    await vi.advanceTimersByTimeAsync(600);
    await expect(flushed).resolves.toBe(false);
    provider.destroy();
  });
});
