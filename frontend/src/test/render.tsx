import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { vi } from "vitest";
import { AuthProvider } from "../auth/AuthContext";
import { setFetcher } from "../api/client";

export type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

export function json(status: number, body: unknown): Response {
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** Routes fetches to handlers by "METHOD /path" (query string ignored); unknown ones fail the test. */
export function mockApi(routes: Record<string, Handler | unknown>) {
  const fetcher = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const key = `${init.method ?? "GET"} ${url.split("?")[0]}`;
    if (!(key in routes)) throw new Error(`unexpected request ${key}`);
    const route = routes[key];
    return typeof route === "function" ? (route as Handler)(url, init) : json(200, route);
  });
  setFetcher(fetcher as unknown as typeof fetch);
  return fetcher;
}

export function renderAt(path: string, routes: Array<{ path: string; element: ReactElement }>) {
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          {routes.map((r) => (
            <Route key={r.path} path={r.path} element={r.element} />
          ))}
          <Route path="*" element={<div data-testid="elsewhere" />} />
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}

export function bodyOf(init: RequestInit): unknown {
  return JSON.parse(String(init.body));
}
