import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { tokenStore } from "../api/tokens";
import { bodyOf, json, mockApi, renderAt } from "../test/render";
import type { ArchiveJob, GitHubAccount } from "./api";
import { ArchiveForm } from "./ArchiveForm";

const account = (token: boolean): GitHubAccount => ({
  enabled: true,
  linked: true,
  login: "octo",
  can_unlink: true,
  token: token ? { kind: "oauth", login: "octo", scopes: "repo", masked: "gho_…abcd", created_at: "2026-01-01T00:00:00Z", last_used_at: null } : null,
});

const job = (over: Partial<ArchiveJob>): ArchiveJob => ({
  id: "j1", kind: "session", session: "s1", participant: null, session_title: "Loops", owner: "", repo: "loops",
  repository: "loops", private: true, state: "running", files_total: 7, files_done: 3, repo_url: "", commit_sha: "",
  message: "Uploading files", error_code: "", created_at: "2026-01-01T00:00:00Z", finished_at: null, ...over,
});

function open() {
  tokenStore.setPair({ access: "header.eyJleHAiOjk5OTk5OTk5OTl9.sig", refresh: "r" });
  renderAt("/teach/s1", [{ path: "/teach/:id", element: <ArchiveForm mode="session" targetId="s1" title="Loops" onClose={() => undefined} /> }]);
}

describe("ArchiveForm", () => {
  it("asks to connect GitHub when there is no token", async () => {
    mockApi({
      "GET /api/auth/me": { id: "t", username: "t", email: "", display_name: "T", role: "teacher", guest: false },
      "GET /api/auth/github/account": account(false),
      "GET /api/sessions/s1/github-archives": [],
    });
    open();
    expect(await screen.findByRole("button", { name: "Connect GitHub" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Paste a token instead" })).toBeInTheDocument();
  });

  it("archives and shows files done of total", async () => {
    const fetcher = mockApi({
      "GET /api/auth/me": { id: "t", username: "t", email: "", display_name: "T", role: "teacher", guest: false },
      "GET /api/auth/github/account": account(true),
      "GET /api/sessions/s1/github-archives": [],
      "POST /api/sessions/s1/github-archives": () => json(202, job({})),
    });
    open();
    const name = await screen.findByLabelText("Repository name");
    expect(name).toHaveValue("loops");
    await userEvent.type(screen.getByLabelText(/Organisation/), "school");
    await userEvent.click(screen.getByRole("button", { name: "Archive now" }));
    expect(await screen.findByText(/3 of 7 files/)).toBeInTheDocument();
    const post = fetcher.mock.calls.find(([, init]) => (init as RequestInit | undefined)?.method === "POST");
    expect(bodyOf(post![1] as RequestInit)).toEqual({ owner: "school", repo: "loops", private: true });
    expect(screen.getByText(/gho_…abcd/)).toBeInTheDocument();
  });

  it("refuses a repository name GitHub would refuse, before asking", async () => {
    mockApi({
      "GET /api/auth/me": { id: "t", username: "t", email: "", display_name: "T", role: "teacher", guest: false },
      "GET /api/auth/github/account": account(true),
      "GET /api/sessions/s1/github-archives": [job({ state: "failed", message: "Choose another name.", repo: "taken" })],
    });
    open();
    const name = await screen.findByLabelText("Repository name");
    await userEvent.clear(name);
    await userEvent.type(name, "a b");
    expect(screen.getByRole("button", { name: "Archive now" })).toBeDisabled();
    expect(screen.getByText(/Letters, digits/)).toBeInTheDocument();
  });

  it("says so when GitHub is not set up on the server", async () => {
    mockApi({
      "GET /api/auth/me": { id: "t", username: "t", email: "", display_name: "T", role: "teacher", guest: false },
      "GET /api/auth/github/account": { ...account(false), enabled: false },
      "GET /api/sessions/s1/github-archives": [],
    });
    open();
    expect(await screen.findByText(/not set up on this server/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Connect GitHub" })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Repository name")).not.toBeInTheDocument();
  });
});
