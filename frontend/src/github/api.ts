/** The GitHub endpoints (docs/API.md, "GitHub"). */
import { apiRequest } from "../api/client";
import type { AuthAnswer } from "../api/types";

export interface GitHubConfig {
  enabled: boolean;
  sign_in_url: string;
}

export interface GitHubToken {
  kind: "oauth" | "pasted";
  login: string;
  scopes: string;
  /** Never the token: its prefix and last four characters. */
  masked: string;
  created_at: string;
  last_used_at: string | null;
}

export interface GitHubAccount {
  enabled: boolean;
  linked: boolean;
  login: string;
  can_unlink: boolean;
  token: GitHubToken | null;
}

export type JobState = "queued" | "running" | "done" | "failed";

export interface ArchiveJob {
  id: string;
  kind: "session" | "student";
  session: string;
  participant: string | null;
  session_title: string;
  owner: string;
  repo: string;
  repository: string;
  private: boolean;
  state: JobState;
  files_total: number;
  files_done: number;
  repo_url: string;
  commit_sha: string;
  message: string;
  error_code: string;
  created_at: string;
  finished_at: string | null;
}

export const github = {
  config: (signal?: AbortSignal) => apiRequest<GitHubConfig>("/api/auth/github/config", { auth: "none", signal }),
  exchange: (code: string) => apiRequest<AuthAnswer>("/api/auth/github/exchange", { method: "POST", body: { code }, auth: "none" }),
  /** A one-time URL that starts a round trip to GitHub for the signed-in user. */
  connect: (purpose: "link" | "archive", next: string) =>
    apiRequest<{ url: string }>("/api/auth/github/connect", { method: "POST", body: { purpose, next } }),
  account: (signal?: AbortSignal) => apiRequest<GitHubAccount>("/api/auth/github/account", { signal }),
  unlink: () => apiRequest<GitHubAccount>("/api/auth/github/link", { method: "DELETE" }),
  saveToken: (token: string) => apiRequest<GitHubAccount>("/api/auth/github/token", { method: "PUT", body: { token } }),
  revokeToken: () => apiRequest<GitHubAccount>("/api/auth/github/token", { method: "DELETE" }),
  archiveSession: (sessionId: string, body: { owner: string; repo: string; private: boolean }) =>
    apiRequest<ArchiveJob>(`/api/sessions/${sessionId}/github-archives`, { method: "POST", body }),
  sessionArchives: (sessionId: string, signal?: AbortSignal) =>
    apiRequest<ArchiveJob[]>(`/api/sessions/${sessionId}/github-archives`, { signal }),
  saveMine: (participantId: string, body: { repo: string; private: boolean }) =>
    apiRequest<ArchiveJob>(`/api/participants/${participantId}/github-save`, { method: "POST", body }),
  jobs: (signal?: AbortSignal) => apiRequest<ArchiveJob[]>("/api/github/jobs", { signal }),
  job: (id: string, signal?: AbortSignal) => apiRequest<ArchiveJob>(`/api/github/jobs/${id}`, { signal }),
};

/** What the sign-in page says for each reason the server's round trip ended with. */
export const SIGN_IN_ERRORS: Record<string, string> = {
  denied: "GitHub sign-in was cancelled: you did not allow Observer on GitHub. Try again, or sign in with your password.",
  expired: "That GitHub sign-in expired or was already used. Please try again.",
  unavailable: "GitHub could not be reached just now. Try again in a minute, or sign in with your password.",
  email_in_use:
    "An Observer account already uses your GitHub email. Sign in with that account's password, then link GitHub from your GitHub page.",
  taken: "This GitHub account is already linked to another Observer account.",
  inactive: "This Observer account is disabled. Ask your school's Observer operator.",
  not_configured: "Sign in with GitHub is not set up on this server.",
  failed: "GitHub sign-in failed. Please try again.",
};

export function signInError(reason: string | null): string | null {
  if (!reason) return null;
  return SIGN_IN_ERRORS[reason] ?? SIGN_IN_ERRORS.failed ?? null;
}

/** A repository name GitHub accepts, made from a title ("Loops & lists" -> "loops-lists"). */
export function repoNameFor(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[^\x20-\x7e]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  return slug && slug !== "." && slug !== ".." ? slug : "observer-class";
}

export const REPO_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
