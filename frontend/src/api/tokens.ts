/** Where the browser keeps its credentials: the user's JWT pair and per-session guest tokens. */
export interface TokenPair {
  access: string;
  refresh: string;
}

export interface GuestIdentity {
  token: string;
  sessionId: string;
  participantId: string;
  displayName: string;
  sessionTitle?: string;
  joinedAt?: string;
}

const PAIR_KEY = "observer.tokens";
const GUEST_PREFIX = "observer.guest.";
const GUEST_KEY = "observer.guestKey";
const SEAT_PREFIX = "observer.seat.";

type Listener = () => void;
const listeners = new Set<Listener>();

function read<T>(key: string): T | null {
  try {
    const raw = window.localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export const tokenStore = {
  getPair(): TokenPair | null {
    return read<TokenPair>(PAIR_KEY);
  },
  setPair(pair: TokenPair | null): void {
    if (pair) window.localStorage.setItem(PAIR_KEY, JSON.stringify(pair));
    else window.localStorage.removeItem(PAIR_KEY);
    listeners.forEach((listener) => listener());
  },
  getGuest(sessionId: string): GuestIdentity | null {
    return read<GuestIdentity>(GUEST_PREFIX + sessionId);
  },
  setGuest(identity: GuestIdentity): void {
    window.localStorage.setItem(GUEST_PREFIX + identity.sessionId, JSON.stringify(identity));
  },
  /** Every class this browser joined as a guest, newest first (for "continue where you were"). */
  listGuests(): GuestIdentity[] {
    const out: GuestIdentity[] = [];
    for (let i = 0; i < window.localStorage.length; i += 1) {
      const key = window.localStorage.key(i);
      if (!key?.startsWith(GUEST_PREFIX)) continue;
      const identity = read<GuestIdentity>(key);
      if (identity?.token) out.push(identity);
    }
    return out.sort((a, b) => (b.joinedAt ?? "").localeCompare(a.joinedAt ?? ""));
  },
  clearGuest(sessionId: string): void {
    window.localStorage.removeItem(GUEST_PREFIX + sessionId);
  },
  /** A signed-in student's participant id in a session (reopening an older class's workspace). */
  getSeat(sessionId: string): string | null {
    return window.localStorage.getItem(SEAT_PREFIX + sessionId);
  },
  setSeat(sessionId: string, participantId: string): void {
    window.localStorage.setItem(SEAT_PREFIX + sessionId, participantId);
  },
  /** A random key that makes a guest's second tab rejoin as the same participant. */
  guestKey(): string {
    let key = window.localStorage.getItem(GUEST_KEY);
    if (!key) {
      key = randomKey();
      window.localStorage.setItem(GUEST_KEY, key);
    }
    return key;
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

function randomKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
