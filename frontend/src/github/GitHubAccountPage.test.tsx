import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { tokenStore } from "../api/tokens";
import { bodyOf, json, mockApi, renderAt } from "../test/render";
import type { GitHubAccount } from "./api";
import GitHubAccountPage from "./GitHubAccountPage";

const me = { id: "u", username: "ada", email: "", display_name: "Ada", role: "student", guest: false };
const base: GitHubAccount = { enabled: true, linked: false, login: "", can_unlink: false, token: null };
const withToken: GitHubAccount = {
  ...base,
  token: { kind: "pasted", login: "octo", scopes: "", masked: "…wxyz", created_at: "2026-01-01T00:00:00Z", last_used_at: null },
};

function open(path = "/account/github") {
  tokenStore.setPair({ access: "header.eyJleHAiOjk5OTk5OTk5OTl9.sig", refresh: "r" });
  renderAt(path, [{ path: "/account/github", element: <GitHubAccountPage /> }]);
}

describe("GitHubAccountPage", () => {
  it("pastes a token, shows it only masked, and forgets it", async () => {
    const fetcher = mockApi({
      "GET /api/auth/me": me,
      "GET /api/auth/github/account": base,
      "GET /api/github/jobs": [],
      "PUT /api/auth/github/token": withToken,
      "DELETE /api/auth/github/token": base,
    });
    open();
    await userEvent.type(await screen.findByLabelText("Or paste a fine-grained token"), "ghp_secret_wxyz");
    await userEvent.click(screen.getByRole("button", { name: "Save token" }));
    expect(await screen.findByText("…wxyz")).toBeInTheDocument();
    expect(screen.getByLabelText("Or paste a fine-grained token")).toHaveValue("");
    const put = fetcher.mock.calls.find(([, init]) => (init as RequestInit | undefined)?.method === "PUT");
    expect(bodyOf(put![1] as RequestInit)).toEqual({ token: "ghp_secret_wxyz" });
    await userEvent.click(screen.getByRole("button", { name: "Forget this token" }));
    expect(await screen.findByRole("button", { name: /Connect GitHub for archiving/ })).toBeInTheDocument();
  });

  it("says why GitHub cannot be unlinked, and explains a failed link", async () => {
    mockApi({
      "GET /api/auth/me": me,
      "GET /api/auth/github/account": { ...base, linked: true, login: "octo", can_unlink: false },
      "GET /api/github/jobs": [],
    });
    open("/account/github?github_error=taken");
    expect(await screen.findByText(/only way in/)).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent(/already linked to another Observer account/);
    expect(screen.queryByRole("button", { name: "Unlink GitHub" })).not.toBeInTheDocument();
  });

  it("shows a refused token's reason", async () => {
    mockApi({
      "GET /api/auth/me": me,
      "GET /api/auth/github/account": base,
      "GET /api/github/jobs": [],
      "PUT /api/auth/github/token": () =>
        json(400, { error: { code: "invalid", message: "token: GitHub did not accept this token.", details: { token: ["GitHub did not accept this token."] } } }),
    });
    open();
    await userEvent.type(await screen.findByLabelText("Or paste a fine-grained token"), "ghp_nope");
    await userEvent.click(screen.getByRole("button", { name: "Save token" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/did not accept/);
  });
});
