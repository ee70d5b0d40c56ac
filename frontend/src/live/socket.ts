/**
 * A WebSocket that reconnects by itself with capped, jittered exponential backoff and
 * reports its status. The token is offered as subprotocols (["observer", "bearer.<t>"])
 * and fetched anew before every attempt, so an expired access token is refreshed.
 */
export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "failed" | "closed";

export interface SocketState {
  status: ConnectionStatus;
  /** Attempts since the last successful open. */
  attempt: number;
  /** When the next attempt starts (ms since epoch), while reconnecting. */
  retryAt: number | null;
  /** Why the connection failed for good, or why the last attempt closed. */
  reason: string | null;
}

export interface SocketOptions {
  url: string;
  getToken: () => Promise<string | null> | string | null;
  binaryType?: BinaryType;
  minDelayMs?: number;
  maxDelayMs?: number;
  WebSocketImpl?: typeof WebSocket;
  onOpen?: (socket: WebSocket) => void;
  onMessage?: (event: MessageEvent) => void;
  onClose?: (event: CloseEvent) => void;
}

/** Close codes the server sends expecting the client back: 4408 (too slow: it fell behind
 * and must resynchronise) and 4429 (flooding: reconnect after the backoff, slower). */
const RETRYABLE_CLOSES = new Set([4408, 4429]);

/** Close codes after which retrying cannot help: auth refused (1008), forbidden (4403),
 * not found (4404) and the rest of 4000-4499, except the retryable ones above. */
export function isFatalClose(code: number): boolean {
  if (RETRYABLE_CLOSES.has(code)) return false;
  return code === 1008 || (code >= 4000 && code < 4500);
}

export const SUBPROTOCOL = "observer";

export function wsUrl(path: string, base: Location = window.location): string {
  const scheme = base.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${base.host}${path}`;
}

export class ReconnectingSocket {
  private socket: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private generation = 0;
  private listeners = new Set<(state: SocketState) => void>();
  private readonly options: Required<Pick<SocketOptions, "minDelayMs" | "maxDelayMs">> & SocketOptions;
  state: SocketState = { status: "closed", attempt: 0, retryAt: null, reason: null };

  constructor(options: SocketOptions) {
    this.options = { minDelayMs: 500, maxDelayMs: 10_000, ...options };
  }

  get connected(): boolean {
    return this.state.status === "connected";
  }

  subscribe(listener: (state: SocketState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getState = (): SocketState => this.state;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.retryNow);
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    window.removeEventListener("online", this.retryNow);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "client closed");
    this.setState({ status: "closed", retryAt: null });
  }

  /** Skips the backoff wait (used by the "Reconnect now" button and when the browser is back online). */
  retryNow = (): void => {
    if (this.stopped || this.state.status === "connected" || this.state.status === "connecting") return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.open();
  };

  send(data: string | ArrayBufferLike | Uint8Array): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(data as string);
    return true;
  }

  private setState(patch: Partial<SocketState>): void {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((listener) => listener(this.state));
  }

  private async open(): Promise<void> {
    const generation = ++this.generation;
    this.setState({ status: this.state.attempt === 0 ? "connecting" : "reconnecting", retryAt: null });
    let token: string | null = null;
    try {
      token = await this.options.getToken();
    } catch {
      token = null;
    }
    if (this.stopped || generation !== this.generation) return;
    if (!token) {
      this.setState({ status: "failed", reason: "You are not signed in." });
      return;
    }
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    let socket: WebSocket;
    try {
      socket = new Impl(this.options.url, [SUBPROTOCOL, `bearer.${token}`]);
    } catch (error) {
      this.scheduleRetry(error instanceof Error ? error.message : "could not connect");
      return;
    }
    if (this.options.binaryType) socket.binaryType = this.options.binaryType;
    this.socket = socket;
    socket.onopen = () => {
      if (generation !== this.generation) return;
      this.setState({ status: "connected", attempt: 0, reason: null, retryAt: null });
      this.options.onOpen?.(socket);
    };
    socket.onmessage = (event) => {
      if (generation === this.generation) this.options.onMessage?.(event);
    };
    socket.onclose = (event) => {
      if (generation !== this.generation) return;
      this.socket = null;
      this.options.onClose?.(event);
      if (this.stopped) return;
      if (isFatalClose(event.code)) {
        this.setState({ status: "failed", reason: event.reason || closeReason(event.code), retryAt: null });
        return;
      }
      this.scheduleRetry(event.reason || "connection lost");
    };
    socket.onerror = () => {
      // The close event that always follows carries the code; nothing to do here.
    };
  }

  private scheduleRetry(reason: string): void {
    const attempt = this.state.attempt + 1;
    const { minDelayMs, maxDelayMs } = this.options;
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.setState({ status: "reconnecting", attempt, reason, retryAt: Date.now() + delay });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open();
    }, delay);
  }
}

function closeReason(code: number): string {
  if (code === 1008 || code === 4401) return "Not signed in (or the sign-in expired)";
  if (code === 4403) return "No access (removed from the class, or not yours)";
  if (code === 4404) return "It no longer exists";
  return `Connection refused (code ${code})`;
}

/** Binary frame payload as bytes (ArrayBuffer or a view, whatever realm made it), else null. */
export function frameBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === "[object ArrayBuffer]") {
    return new Uint8Array(data as ArrayBuffer);
  }
  return null;
}
