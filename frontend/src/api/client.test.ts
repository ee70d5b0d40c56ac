import { beforeEach, describe, expect, it, vi } from "vitest";
import { apiRequest, setFetcher } from "./client";
import { ApiError, parseErrorBody } from "./errors";
import { tokenStore } from "./tokens";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

describe("apiRequest", () => {
  beforeEach(() => tokenStore.setPair(null));

  it("sends the access token and parses JSON", async () => {
    tokenStore.setPair({ access: "A1", refresh: "R1" });
    const fetcher = vi.fn().mockResolvedValue(json(200, { ok: 1 }));
    setFetcher(fetcher);
    await expect(apiRequest("/api/x", { query: { a: 1, b: undefined } })).resolves.toEqual({ ok: 1 });
    const [url, init] = fetcher.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/api/x?a=1");
    expect((init.headers as Record<string, string>)["Authorization"]).toBe("Bearer A1");
  });

  it("refreshes once on 401 and retries with the new token", async () => {
    tokenStore.setPair({ access: "old", refresh: "R1" });
    const fetcher = vi.fn(async (url: string, init?: RequestInit) => {
      if (url === "/api/auth/refresh") return json(200, { access: "new", refresh: "R2" });
      const auth = (init?.headers as Record<string, string>)["Authorization"];
      return auth === "Bearer new" ? json(200, { ok: true }) : json(401, { error: { code: "not_authenticated", message: "expired", details: {} } });
    });
    setFetcher(fetcher as unknown as typeof fetch);
    const [a, b] = await Promise.all([apiRequest("/api/a"), apiRequest("/api/b")]);
    expect(a).toEqual({ ok: true });
    expect(b).toEqual({ ok: true });
    expect(fetcher.mock.calls.filter(([url]) => url === "/api/auth/refresh")).toHaveLength(1);
    expect(tokenStore.getPair()).toEqual({ access: "new", refresh: "R2" });
  });

  it("signs out when the refresh token is rejected", async () => {
    tokenStore.setPair({ access: "old", refresh: "bad" });
    setFetcher(vi.fn(async (url: string) =>
      url === "/api/auth/refresh"
        ? json(401, { error: { code: "token_not_valid", message: "Token is invalid", details: {} } })
        : json(401, { error: { code: "not_authenticated", message: "Please sign in.", details: {} } }),
    ) as unknown as typeof fetch);
    await expect(apiRequest("/api/a")).rejects.toMatchObject({ status: 401, message: "Please sign in." });
    expect(tokenStore.getPair()).toBeNull();
  });

  it("uses a guest token without trying to refresh", async () => {
    const fetcher = vi.fn().mockResolvedValue(json(401, null));
    setFetcher(fetcher);
    await expect(apiRequest("/api/a", { auth: { token: "G" } })).rejects.toBeInstanceOf(ApiError);
    expect(fetcher).toHaveBeenCalledTimes(1);
    expect(((fetcher.mock.calls[0] as [string, RequestInit])[1].headers as Record<string, string>)["Authorization"]).toBe("Bearer G");
  });

  it("turns a 429 into an error with retry_after", async () => {
    setFetcher(vi.fn().mockResolvedValue(json(429, { error: { code: "rate_limited", message: "Slow down", details: { retry_after: 12 } } })));
    const error = (await apiRequest("/api/a", { auth: "none" }).catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(12);
    expect(error.message).toBe("Slow down");
  });

  it("turns a network failure into a readable error", async () => {
    setFetcher(vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    await expect(apiRequest("/api/a")).rejects.toMatchObject({ code: "network", status: 0 });
  });

  it("returns undefined for 204", async () => {
    setFetcher(vi.fn().mockResolvedValue(new Response(null, { status: 204 })));
    await expect(apiRequest("/api/a", { method: "DELETE" })).resolves.toBeUndefined();
  });
});

describe("parseErrorBody", () => {
  it("reads the standard shape", () => {
    expect(parseErrorBody(400, { error: { code: "invalid", message: "username: taken", details: { username: ["taken"] } } })).toEqual({
      code: "invalid",
      message: "username: taken",
      details: { username: ["taken"] },
    });
  });

  it("falls back for HTML error pages and DRF's detail", () => {
    expect(parseErrorBody(502, "<html>Bad gateway</html>").message).toMatch(/unreachable/);
    expect(parseErrorBody(403, { detail: "Nope" }).message).toBe("Nope");
  });

  it("takes retry_after from the header when the body lacks it", () => {
    expect(parseErrorBody(429, null, "30").details).toEqual({ retry_after: 30 });
  });

  it("exposes field errors", () => {
    const error = new ApiError(400, { code: "invalid", message: "m", details: { username: ["taken"], password: "short" } });
    expect(error.fieldErrors()).toEqual({ username: "taken", password: "short" });
  });
});
