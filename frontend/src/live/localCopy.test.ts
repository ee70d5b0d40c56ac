import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import * as syncProtocol from "y-protocols/sync";
import { forgetLocalCopies, keepLocalCopy, localCopyName } from "./localCopy";
import { MESSAGE_SYNC, YjsProvider } from "./yjsProvider";
import { FakeWebSocket, FakeWebSocketImpl } from "../test/fakeWebSocket";

async function idbNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((db) => db.name ?? "");
}

describe("a document's copy in the browser", () => {
  afterEach(async () => {
    await forgetLocalCopies();
    FakeWebSocket.reset();
  });

  it("gives a reopened tab what the closed one typed", async () => {
    const first = new Y.Doc();
    const copy = keepLocalCopy("doc-1", first);
    expect(copy).not.toBeNull();
    await copy!.loaded;
    first.getText("content").insert(0, "typed in the last second");
    // The update is stored as it happens; closing the tab closes the database.
    await new Promise((resolve) => setTimeout(resolve, 50));
    copy!.destroy();

    const reopened = new Y.Doc();
    const again = keepLocalCopy("doc-1", reopened);
    await again!.loaded;
    expect(reopened.getText("content").toString()).toBe("typed in the last second");
    again!.destroy();
  });

  it("keeps each document apart and forgets them all on sign-out", async () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const copyA = keepLocalCopy("doc-a", a);
    const copyB = keepLocalCopy("doc-b", b);
    await Promise.all([copyA!.loaded, copyB!.loaded]);
    a.getText("content").insert(0, "A");
    b.getText("content").insert(0, "B");
    await new Promise((resolve) => setTimeout(resolve, 50));
    copyA!.destroy();
    copyB!.destroy();
    expect(await idbNames()).toEqual(expect.arrayContaining([localCopyName("doc-a"), localCopyName("doc-b")]));

    await forgetLocalCopies();
    expect(await idbNames()).not.toContain(localCopyName("doc-a"));
    expect(await idbNames()).not.toContain(localCopyName("doc-b"));
    expect(window.localStorage.getItem("observer.localCopies")).toBeNull();
    const fresh = new Y.Doc();
    const empty = keepLocalCopy("doc-a", fresh);
    await empty!.loaded;
    expect(fresh.getText("content").toString()).toBe("");
    empty!.destroy();
  });

  it("offers the server what only the browser kept in the first sync handshake", async () => {
    const earlier = new Y.Doc();
    const copy = keepLocalCopy("doc-2", earlier);
    await copy!.loaded;
    earlier.getText("content").insert(0, "offline work");
    await new Promise((resolve) => setTimeout(resolve, 50));
    copy!.destroy();

    const provider = new YjsProvider({
      url: "ws://x/ws/documents/doc-2/",
      getToken: () => "t",
      WebSocketImpl: FakeWebSocketImpl,
      localCopyOf: "doc-2",
    });
    provider.connect();
    // The socket opens only once the copy is loaded.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const socket = FakeWebSocket.last();
    socket.serverOpen();
    // The server (empty) answers the client's step 1 with its own step 1; the client's
    // step 2 in reply carries the offline work.
    const server = new Y.Doc();
    const step1 = encoding.createEncoder();
    encoding.writeVarUint(step1, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(step1, server);
    socket.serverSend(encoding.toUint8Array(step1));
    for (const message of socket.sent) {
      if (!(message instanceof Uint8Array)) continue;
      const decoder = decoding.createDecoder(message);
      if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) continue;
      syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), server, "client");
    }
    expect(server.getText("content").toString()).toBe("offline work");
    provider.destroy();
  });
});
