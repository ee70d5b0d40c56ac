import { ApiError, networkError, parseErrorBody } from "./errors";
import { tokenStore, type TokenPair } from "./tokens";

/** Which credential a request carries: the signed-in user's JWT, a guest token, or none. */
export type Auth = "user" | "none" | { token: string };

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown;
  auth?: Auth;
  signal?: AbortSignal;
  query?: Record<string, string | number | boolean | undefined | null>;
}

export type Fetcher = typeof fetch;

let fetcher: Fetcher = (...args) => fetch(...args);
/** Tests swap the transport. */
export function setFetcher(next: Fetcher): void {
  fetcher = next;
}

let refreshing: Promise<TokenPair | null> | null = null;

/** Trades the refresh token for a new pair once, however many requests hit a 401 together. */
export function refreshTokens(): Promise<TokenPair | null> {
  if (refreshing) return refreshing;
  const pair = tokenStore.getPair();
  if (!pair) return Promise.resolve(null);
  refreshing = (async () => {
    try {
      const response = await fetcher("/api/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh: pair.refresh }),
      });
      if (!response.ok) {
        // A rejected refresh token means the sign-in is over; a 429 or 5xx does not.
        if (response.status === 401 || response.status === 400) tokenStore.setPair(null);
        return null;
      }
      const data = (await response.json()) as Partial<TokenPair>;
      if (!data.access) return null;
      const next = { access: data.access, refresh: data.refresh ?? pair.refresh };
      tokenStore.setPair(next);
      return next;
    } catch {
      return null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function buildUrl(path: string, query: RequestOptions["query"]): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes("?") ? "&" : "?"}${qs}` : path;
}

function bearerFor(auth: Auth): string | null {
  if (auth === "none") return null;
  if (auth === "user") return tokenStore.getPair()?.access ?? null;
  return auth.token;
}

async function send(path: string, options: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  try {
    return await fetcher(buildUrl(path, options.query), {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw networkError(error);
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Sends a request and returns the response, retrying once after a token refresh. */
export async function rawRequest(path: string, options: RequestOptions = {}): Promise<Response> {
  const auth = options.auth ?? "user";
  let response = await send(path, options, bearerFor(auth));
  if (response.status === 401 && auth === "user" && tokenStore.getPair()) {
    const next = await refreshTokens();
    if (next) response = await send(path, options, next.access);
  }
  if (!response.ok) {
    const body = await readBody(response);
    throw new ApiError(response.status, parseErrorBody(response.status, body, response.headers.get("Retry-After")));
  }
  return response;
}

/** JSON in, JSON out; every failure is an ApiError in the standard shape. */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await rawRequest(path, options);
  if (response.status === 204) return undefined as T;
  return (await readBody(response)) as T;
}

/** Downloads a file the API serves (zip export, "download my files"). */
export async function downloadFile(path: string, fallbackName: string, auth: Auth = "user"): Promise<void> {
  const response = await rawRequest(path, { auth });
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match?.[1] ? decodeURIComponent(match[1]) : fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
