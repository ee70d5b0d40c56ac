import { refreshTokens } from "./client";
import { tokenStore } from "./tokens";

/** Seconds since epoch when a JWT expires, or null if it cannot be read. */
export function jwtExpiry(token: string): number | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const payload = JSON.parse(json) as { exp?: unknown };
    return typeof payload.exp === "number" ? payload.exp : null;
  } catch {
    return null;
  }
}

/** The user's access token, refreshed first when it expires within a minute (for WebSockets). */
export async function freshAccessToken(): Promise<string | null> {
  const pair = tokenStore.getPair();
  if (!pair) return null;
  const exp = jwtExpiry(pair.access);
  if (exp !== null && exp * 1000 - Date.now() < 60_000) {
    const next = await refreshTokens();
    return next?.access ?? null;
  }
  return pair.access;
}
