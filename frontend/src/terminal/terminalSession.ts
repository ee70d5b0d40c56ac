/**
 * One participant's terminal channel (/ws/terminal/<participant_id>/): sends run /
 * stdin / resize / interrupt / stop, streams output bytes to listeners and keeps the
 * run state. Teachers use the same channel as a mirror (no run, no stdin).
 */
import { ReconnectingSocket, frameBytes, wsUrl, type SocketState } from "../live/socket";
import type { LastRun } from "../api/types";
import { isActive, lastRunExit, nextRunState, parseFrame, type RunState, type ServerFrame } from "./runState";

type OutputListener = (chunk: Uint8Array | string) => void;
type FrameListener = (frame: ServerFrame) => void;
type HistoryListener = (run: LastRun) => void;

export class TerminalSession {
  readonly socket: ReconnectingSocket;
  private state: RunState = { kind: "idle" };
  private stateListeners = new Set<() => void>();
  private outputListeners = new Set<OutputListener>();
  private frameListeners = new Set<FrameListener>();
  private historyListeners = new Set<HistoryListener>();
  private history: LastRun | null = null;
  private size: { rows: number; cols: number } = { rows: 24, cols: 80 };
  private encoder = new TextEncoder();
  private unsubscribeSocket: () => void;

  constructor(participantId: string, getToken: () => Promise<string | null>, WebSocketImpl?: typeof WebSocket) {
    this.socket = new ReconnectingSocket({
      url: wsUrl(`/ws/terminal/${participantId}/`),
      getToken,
      binaryType: "arraybuffer",
      WebSocketImpl,
      onMessage: (event) => this.handleMessage(event),
    });
    this.unsubscribeSocket = this.socket.subscribe((socketState) => this.handleSocketState(socketState));
  }

  getState = (): RunState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  };

  onOutput(listener: OutputListener): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  onFrame(listener: FrameListener): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** The last run before this page opened (a reload, a teacher opening the student), while nothing newer is known. */
  getHistory(): LastRun | null {
    return this.history;
  }

  onHistory(listener: HistoryListener): () => void {
    this.historyListeners.add(listener);
    return () => this.historyListeners.delete(listener);
  }

  /** Shows `run` as the last run, unless a run has been seen since the page opened. */
  restore(run: LastRun): boolean {
    if (this.state.kind !== "idle") return false;
    this.history = run;
    this.setState({ kind: "exited", exit: lastRunExit(run) });
    this.historyListeners.forEach((listener) => listener(run));
    return true;
  }

  start(): void {
    this.socket.start();
  }

  destroy(): void {
    this.unsubscribeSocket();
    this.socket.stop();
  }

  /** Asks the server to run `entry`; false when not connected (the caller says so). */
  run(entry: string, files?: string[]): boolean {
    if (isActive(this.state)) return false;
    const sent = this.sendJson({ type: "run", entry, ...(files ? { files } : {}), rows: this.size.rows, cols: this.size.cols });
    this.setState(sent ? { kind: "requested" } : { kind: "error", code: "disconnected", message: "Not connected to the server. Wait for the connection to come back.", retryUntil: null });
    return sent;
  }

  stop(): boolean {
    return this.sendJson({ type: "stop" });
  }

  interrupt(): boolean {
    return this.sendJson({ type: "interrupt" });
  }

  eof(): boolean {
    return this.sendJson({ type: "eof" });
  }

  /** What the user typed into the terminal, as stdin bytes. Ctrl+C and Ctrl+D become control frames. */
  input(data: string): void {
    if (!isActive(this.state)) return;
    if (data === "\x03") {
      this.interrupt();
      return;
    }
    if (data === "\x04") {
      this.eof();
      return;
    }
    this.socket.send(this.encoder.encode(data));
  }

  resize(rows: number, cols: number): void {
    if (rows === this.size.rows && cols === this.size.cols) return;
    this.size = { rows, cols };
    if (isActive(this.state)) this.sendJson({ type: "resize", rows, cols });
  }

  private sendJson(frame: Record<string, unknown>): boolean {
    return this.socket.send(JSON.stringify(frame));
  }

  private setState(next: RunState): void {
    if (next === this.state) return;
    this.state = next;
    this.stateListeners.forEach((listener) => listener());
  }

  private handleMessage(event: MessageEvent): void {
    if (typeof event.data === "string") {
      const frame = parseFrame(event.data);
      if (!frame) return;
      if (frame.type === "started") this.history = null;
      this.setState(nextRunState(this.state, frame));
      this.frameListeners.forEach((listener) => listener(frame));
      return;
    }
    const chunk = frameBytes(event.data);
    if (chunk) this.outputListeners.forEach((listener) => listener(chunk));
  }

  private handleSocketState(socketState: SocketState): void {
    if (socketState.status !== "connected" && socketState.status !== "connecting" && isActive(this.state)) {
      this.setState({
        kind: "error",
        code: "disconnected",
        message: "The connection dropped during the run; its output may be incomplete.",
        retryUntil: null,
      });
    }
  }
}
