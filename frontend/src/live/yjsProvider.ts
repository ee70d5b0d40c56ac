/**
 * Binds a Y.Doc to a document's WebSocket using the standard y-protocols messages
 * (sync step 1/2 + updates, awareness). Survives disconnects: on every (re)open it
 * runs the sync handshake again, so edits made offline are exchanged both ways.
 */
import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import { DOCUMENT_FRAME_SHAPES, type DocumentFrame } from "../api/events.gen";
import { parseFrame } from "./frames";
import { ReconnectingSocket, frameBytes, type SocketOptions, type SocketState } from "./socket";
import { keepLocalCopy, type LocalCopy } from "./localCopy";

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_QUERY_AWARENESS = 3;

export interface YjsProviderOptions extends Omit<SocketOptions, "onOpen" | "onMessage" | "onClose" | "binaryType"> {
  doc?: Y.Doc;
  /** Keep the document in this browser too (./localCopy): the id it is stored under. */
  localCopyOf?: string;
}

type SyncListener = (synced: boolean) => void;
/** The server's JSON text frames on a document socket: readonly and error (observer/contract.py). */
export type DocumentNotice = DocumentFrame;
type NoticeListener = (notice: DocumentNotice) => void;

export class YjsProvider {
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  readonly socket: ReconnectingSocket;
  private syncedValue = false;
  private syncListeners = new Set<SyncListener>();
  private noticeListeners = new Set<NoticeListener>();
  private flushWaiters = new Set<() => void>();
  private localCopy: LocalCopy | null = null;
  private stopped = false;

  constructor(options: YjsProviderOptions) {
    this.doc = options.doc ?? new Y.Doc();
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.socket = new ReconnectingSocket({
      ...options,
      binaryType: "arraybuffer",
      onOpen: () => this.handleOpen(),
      onMessage: (event) => this.handleMessage(event),
      onClose: () => this.handleClose(),
    });
    this.doc.on("update", this.handleDocUpdate);
    this.awareness.on("update", this.handleAwarenessUpdate);
    window.addEventListener("beforeunload", this.handleUnload);
    if (options.localCopyOf) this.localCopy = keepLocalCopy(options.localCopyOf, this.doc);
  }

  get synced(): boolean {
    return this.syncedValue;
  }

  get state(): SocketState {
    return this.socket.state;
  }

  onSynced(listener: SyncListener): () => void {
    this.syncListeners.add(listener);
    return () => this.syncListeners.delete(listener);
  }

  onNotice(listener: NoticeListener): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /**
   * Resolves once the server has applied every update sent so far: it answers a sync
   * step 1 with a step 2 after the frames before it (one connection is handled in
   * order). Used before a run so the program is the code on screen. False on timeout
   * or when offline.
   */
  flush(timeoutMs = 2000): Promise<boolean> {
    if (!this.socket.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.flushWaiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.flushWaiters.delete(done);
        resolve(false);
      }, timeoutMs);
      this.flushWaiters.add(done);
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      syncProtocol.writeSyncStep1(encoder, this.doc);
      this.socket.send(encoding.toUint8Array(encoder));
    });
  }

  /** Opens the socket; with a local copy, once it is loaded, so that the first sync
   * handshake already offers the server what only this browser kept. */
  connect(): void {
    this.stopped = false;
    if (!this.localCopy) {
      this.socket.start();
      return;
    }
    void this.localCopy.loaded.then(() => {
      if (!this.stopped) this.socket.start();
    });
  }

  disconnect(): void {
    this.stopped = true;
    this.socket.stop();
  }

  destroy(): void {
    this.stopped = true;
    this.localCopy?.destroy();
    this.localCopy = null;
    this.handleUnload();
    this.socket.stop();
    this.doc.off("update", this.handleDocUpdate);
    this.awareness.off("update", this.handleAwarenessUpdate);
    window.removeEventListener("beforeunload", this.handleUnload);
    this.awareness.destroy();
  }

  private setSynced(value: boolean): void {
    if (this.syncedValue === value) return;
    this.syncedValue = value;
    this.syncListeners.forEach((listener) => listener(value));
  }

  private handleOpen(): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, this.doc);
    this.socket.send(encoding.toUint8Array(encoder));
    if (this.awareness.getLocalState() !== null) {
      this.sendAwareness([this.doc.clientID]);
    }
  }

  private handleClose(): void {
    this.setSynced(false);
    // Others' cursors are stale once we cannot hear them; ours stays for the next open.
    const others = Array.from(this.awareness.getStates().keys()).filter((id) => id !== this.doc.clientID);
    awarenessProtocol.removeAwarenessStates(this.awareness, others, this);
  }

  private handleMessage(event: MessageEvent): void {
    if (typeof event.data === "string") {
      this.handleText(event.data);
      return;
    }
    const bytes = frameBytes(event.data);
    if (!bytes) return;
    const decoder = decoding.createDecoder(bytes);
    const encoder = encoding.createEncoder();
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MESSAGE_SYNC: {
        encoding.writeVarUint(encoder, MESSAGE_SYNC);
        const syncType = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
        if (syncType === syncProtocol.messageYjsSyncStep2) {
          this.setSynced(true);
          this.flushWaiters.forEach((done) => done());
        }
        if (encoding.length(encoder) > 1) this.socket.send(encoding.toUint8Array(encoder));
        break;
      }
      case MESSAGE_AWARENESS:
        awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this);
        break;
      case MESSAGE_QUERY_AWARENESS:
        this.sendAwareness(Array.from(this.awareness.getStates().keys()));
        break;
      default:
        break;
    }
  }

  private handleText(text: string): void {
    const notice = parseFrame(text, DOCUMENT_FRAME_SHAPES, "document");
    if (notice) this.noticeListeners.forEach((listener) => listener(notice));
  }

  private handleDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeUpdate(encoder, update);
    // While offline the update stays in the doc; the next sync handshake sends it.
    this.socket.send(encoding.toUint8Array(encoder));
  };

  private handleAwarenessUpdate = (
    changes: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this) return;
    this.sendAwareness([...changes.added, ...changes.updated, ...changes.removed]);
  };

  private sendAwareness(clients: number[]): void {
    if (clients.length === 0) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients));
    this.socket.send(encoding.toUint8Array(encoder));
  }

  private handleUnload = (): void => {
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.doc.clientID], "unload");
  };
}
