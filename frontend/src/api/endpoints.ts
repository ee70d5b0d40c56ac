/** One typed function per API operation (docs/API.md). */
import { apiRequest, downloadFile, type Auth } from "./client";
import type {
  Analytics,
  AuthAnswer,
  ClassSession,
  CurrentAnswer,
  DocumentHistory,
  FileItem,
  GuestMe,
  HelpRequest,
  JoinAnswer,
  LastRun,
  Limits,
  Page,
  ParticipantStatus,
  PushAnswer,
  SessionInput,
  User,
} from "./types";

export const auth = {
  login: (body: { username: string; password: string }) =>
    apiRequest<AuthAnswer>("/api/auth/login", { method: "POST", body, auth: "none" }),
  register: (body: { username: string; password: string; email?: string; display_name?: string; role?: string; invite_code?: string }) =>
    apiRequest<AuthAnswer>("/api/auth/register", { method: "POST", body, auth: "none" }),
  logout: (refresh: string) => apiRequest<void>("/api/auth/logout", { method: "POST", body: { refresh }, auth: "none" }),
  me: (signal?: AbortSignal, credential: Auth = "user") => apiRequest<User | GuestMe>("/api/auth/me", { signal, auth: credential }),
};

export const sessions = {
  /** One page (from 1) of the caller's sessions, live ones first, then newest first. */
  list: (page = 1, signal?: AbortSignal) => apiRequest<Page<ClassSession>>("/api/sessions/", { signal, query: { page } }),
  create: (body: SessionInput) => apiRequest<ClassSession>("/api/sessions/", { method: "POST", body }),
  get: (id: string, signal?: AbortSignal) => apiRequest<ClassSession>(`/api/sessions/${id}/`, { signal }),
  update: (id: string, body: Partial<SessionInput>) => apiRequest<ClassSession>(`/api/sessions/${id}/`, { method: "PATCH", body }),
  start: (id: string) => apiRequest<ClassSession>(`/api/sessions/${id}/start`, { method: "POST" }),
  end: (id: string) => apiRequest<ClassSession>(`/api/sessions/${id}/end`, { method: "POST" }),
  reopen: (id: string) => apiRequest<ClassSession>(`/api/sessions/${id}/reopen`, { method: "POST" }),
  participants: (id: string, signal?: AbortSignal) =>
    apiRequest<ParticipantStatus[]>(`/api/sessions/${id}/participants/`, { signal }),
  removeParticipant: (id: string, pid: string) =>
    apiRequest<void>(`/api/sessions/${id}/participants/${pid}/`, { method: "DELETE" }),
  push: (id: string, body: { name: string; content: string; participant_id?: string }) =>
    apiRequest<PushAnswer>(`/api/sessions/${id}/push`, { method: "POST", body }),
  help: (id: string, state?: string, signal?: AbortSignal) =>
    apiRequest<HelpRequest[]>(`/api/sessions/${id}/help/`, { signal, query: { state } }),
  analytics: (id: string, signal?: AbortSignal) => apiRequest<Analytics>(`/api/sessions/${id}/analytics`, { signal }),
  exportZip: (session: ClassSession) => downloadFile(`/api/sessions/${session.id}/export`, `${slug(session.title)}.zip`),
  join: (body: { code: string; display_name?: string; guest_key?: string }, credential: Auth) =>
    apiRequest<JoinAnswer>("/api/join", { method: "POST", body, auth: credential }),
  current: (credential: Auth, signal?: AbortSignal) => apiRequest<CurrentAnswer>("/api/sessions/current", { auth: credential, signal }),
  /** One participant with its session (a signed-in student's seat in a class that is not their latest). */
  participant: (pid: string, signal?: AbortSignal) =>
    apiRequest<ParticipantStatus & { session: ClassSession }>(`/api/participants/${pid}/`, { signal }),
};

export const files = {
  list: (pid: string, credential: Auth = "user", signal?: AbortSignal) =>
    apiRequest<FileItem[]>(`/api/participants/${pid}/files/`, { auth: credential, signal }),
  create: (pid: string, name: string, credential: Auth = "user", content = "") =>
    apiRequest<FileItem>(`/api/participants/${pid}/files/`, { method: "POST", body: { name, content }, auth: credential }),
  rename: (pid: string, fid: string, name: string, credential: Auth = "user") =>
    apiRequest<FileItem>(`/api/participants/${pid}/files/${fid}/`, { method: "PATCH", body: { name }, auth: credential }),
  remove: (pid: string, fid: string, credential: Auth = "user") =>
    apiRequest<void>(`/api/participants/${pid}/files/${fid}/`, { method: "DELETE", auth: credential }),
  downloadAll: (pid: string, name: string, credential: Auth = "user") =>
    downloadFile(`/api/participants/${pid}/files/download`, `${slug(name)}-files.zip`, credential),
  /** The whole replay, following the server's pages (`next_after_seq`). */
  history: async (fid: string, signal?: AbortSignal): Promise<DocumentHistory> => {
    const first = await apiRequest<DocumentHistory>(`/api/documents/${fid}/history`, { signal });
    let page = first;
    const events = [...first.events];
    for (let pages = 1; page.next_after_seq && pages < 40; pages += 1) {
      page = await apiRequest<DocumentHistory>(`/api/documents/${fid}/history`, { signal, query: { after_seq: page.next_after_seq } });
      events.push(...page.events);
    }
    return { ...first, events, final_text: page.final_text, next_after_seq: null };
  },
};

export const help = {
  raise: (pid: string, body: { message?: string; file_id?: string; line?: number }, credential: Auth) =>
    apiRequest<HelpRequest>(`/api/participants/${pid}/help`, { method: "POST", body, auth: credential }),
  claim: (hid: string) => apiRequest<HelpRequest>(`/api/help/${hid}/claim`, { method: "POST" }),
  resolve: (hid: string) => apiRequest<HelpRequest>(`/api/help/${hid}/resolve`, { method: "POST" }),
  cancel: (hid: string, credential: Auth) => apiRequest<HelpRequest>(`/api/help/${hid}/cancel`, { method: "POST", auth: credential }),
};

export const runs = {
  /** The last finished run with its output tail, or null before the first. */
  last: (pid: string, credential: Auth, signal?: AbortSignal) =>
    apiRequest<{ last_run: LastRun | null }>(`/api/participants/${pid}/last-run`, { auth: credential, signal }).then((answer) => answer.last_run),
};

export const limits = {
  mine: (credential: Auth, signal?: AbortSignal) => apiRequest<Limits>("/api/me/limits", { auth: credential, signal }),
};

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "files";
}
