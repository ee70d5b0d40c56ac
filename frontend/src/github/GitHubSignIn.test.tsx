import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { User } from "../api/types";
import { tokenStore } from "../api/tokens";
import { LoginPage } from "../pages/AuthPages";
import { bodyOf, json, mockApi, renderAt } from "../test/render";
import { repoNameFor, signInError } from "./api";

const student: User = { id: "u1", username: "octo", email: "", display_name: "Octo", role: "student", guest: false };

function open(path: string) {
  renderAt(path, [
    { path: "/login", element: <LoginPage /> },
    { path: "/", element: <div data-testid="home-page" /> },
    { path: "/teach", element: <div data-testid="teach-page" /> },
  ]);
}

describe("Sign in with GitHub", () => {
  it("shows the button only when the server has GitHub configured", async () => {
    mockApi({ "GET /api/auth/github/config": { enabled: true, sign_in_url: "/api/auth/github/start" } });
    open("/login");
    expect(await screen.findByRole("button", { name: "Sign in with GitHub" })).toBeInTheDocument();
  });

  it("has no button when it is not configured", async () => {
    const fetcher = mockApi({ "GET /api/auth/github/config": { enabled: false, sign_in_url: "/api/auth/github/start" } });
    open("/login");
    await waitFor(() => expect(fetcher).toHaveBeenCalled());
    expect(screen.queryByRole("button", { name: "Sign in with GitHub" })).not.toBeInTheDocument();
  });

  it("trades the one-time code from the fragment for the JWT pair and goes on", async () => {
    const fetcher = mockApi({
      "GET /api/auth/github/config": { enabled: true, sign_in_url: "/api/auth/github/start" },
      "POST /api/auth/github/exchange": { access: "header.eyJleHAiOjk5OTk5OTk5OTl9.sig", refresh: "r1", user: student },
    });
    open("/login#github_code=abc123");
    expect(await screen.findByTestId("home-page")).toBeInTheDocument();
    const exchange = fetcher.mock.calls.find(([url]) => String(url).endsWith("/exchange"));
    expect(bodyOf(exchange![1] as RequestInit)).toEqual({ code: "abc123" });
    expect(tokenStore.getPair()?.refresh).toBe("r1");
  });

  it("says when the code was already used", async () => {
    mockApi({
      "GET /api/auth/github/config": { enabled: true, sign_in_url: "/api/auth/github/start" },
      "POST /api/auth/github/exchange": () =>
        json(401, { error: { code: "authentication_failed", message: "This GitHub sign-in has expired or was already used. Sign in again.", details: {} } }),
    });
    open("/login#github_code=used");
    expect(await screen.findByText(/expired or was already used/)).toBeInTheDocument();
    expect(tokenStore.getPair()).toBeNull();
  });

  it.each([
    ["denied", /did not allow Observer/],
    ["email_in_use", /already uses your GitHub email/],
    ["unavailable", /could not be reached/],
    ["expired", /expired or was already used/],
  ])("explains ?github_error=%s", async (reason, text) => {
    mockApi({ "GET /api/auth/github/config": { enabled: true, sign_in_url: "/api/auth/github/start" } });
    open(`/login?github_error=${reason}`);
    expect(await screen.findByRole("alert")).toHaveTextContent(text);
  });

  it("has a message for unknown reasons and none without one", () => {
    expect(signInError("weird")).toMatch(/failed/);
    expect(signInError(null)).toBeNull();
  });

  it("makes repository names GitHub accepts", () => {
    expect(repoNameFor("Loops & lists: week 2")).toBe("loops-lists-week-2");
    expect(repoNameFor("Élan")).toBe("elan");
    expect(repoNameFor("!!!")).toBe("observer-class");
  });
});
