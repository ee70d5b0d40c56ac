/** AI help's REST calls (docs/API.md, "AI help"). Asking is on the assist socket. */
import { apiRequest, downloadFile, type Auth } from "../api/client";
import { ApiError } from "../api/errors";
import type { AssistAllowance, AssistQuestion } from "../api/events.gen";
import type { AssistView } from "./answers";

export type Mode = AssistAllowance["mode"];

export interface ProviderInfo {
  scope: "deployment" | "teacher";
  base_url: string;
  model: string;
  organization: string;
  key_hint: string;
  set_by: string | null;
  set_at: string;
}

export interface ProviderInput {
  base_url: string;
  model: string;
  organization?: string;
  /** Write-only: left out, the stored key is kept. */
  api_key?: string;
}

export interface Policy {
  mode: Mode;
  per_student_per_hour: number;
  session_budget: number;
  disabled_participants: string[];
  provider: ProviderInfo | null;
}

export interface AssistAnalytics {
  questions: number;
  students: { participant_id: string; name: string; questions: number; by_kind: Record<string, number>; by_status: Record<string, number> }[];
  common_errors: { error: string; count: number }[];
}

interface Page<T> {
  count: number;
  next: string | null;
  results: T[];
}

export const assistApi = {
  policy: (sessionId: string, signal?: AbortSignal) => apiRequest<Policy>(`/api/sessions/${sessionId}/assist/policy`, { signal }),
  setPolicy: (sessionId: string, body: { mode: Mode; per_student_per_hour: number; session_budget: number }) =>
    apiRequest<Policy>(`/api/sessions/${sessionId}/assist/policy`, { method: "PUT", body }),
  setStudent: (participantId: string, enabled: boolean) =>
    apiRequest<Policy>(`/api/participants/${participantId}/assist`, { method: "PUT", body: { enabled } }),
  questions: (sessionId: string, signal?: AbortSignal) =>
    apiRequest<Page<AssistQuestion>>(`/api/sessions/${sessionId}/assist/questions`, { signal, query: { page_size: "200" } }),
  analytics: (sessionId: string, signal?: AbortSignal) => apiRequest<AssistAnalytics>(`/api/sessions/${sessionId}/assist/analytics`, { signal }),
  exportLog: (sessionId: string, title: string) => downloadFile(`/api/sessions/${sessionId}/assist/export`, `${title || "session"}-ai-help.json`),
  myProvider: (signal?: AbortSignal) => apiRequest<ProviderInfo>("/api/assist/my-provider", { signal }),
  setMyProvider: (body: ProviderInput) => apiRequest<ProviderInfo>("/api/assist/my-provider", { method: "PUT", body }),
  testMyProvider: () => apiRequest<{ ok: boolean; model: string }>("/api/assist/my-provider/test", { method: "POST" }),
  /** The deployment's provider (admins); null when none is set. */
  deploymentProvider: async (signal?: AbortSignal) => {
    try {
      return await apiRequest<ProviderInfo>("/api/assist/provider", { signal });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  },
  setDeploymentProvider: (body: ProviderInput) => apiRequest<ProviderInfo>("/api/assist/provider", { method: "PUT", body }),
  testDeploymentProvider: () => apiRequest<{ ok: boolean; model: string }>("/api/assist/provider/test", { method: "POST" }),
  removeDeploymentProvider: () => apiRequest<null>("/api/assist/provider", { method: "DELETE" }),
  own: (participantId: string, credential: Auth, signal?: AbortSignal) =>
    apiRequest<Pick<AssistView, "questions"> & { allowance: AssistAllowance }>(`/api/participants/${participantId}/assist`, { auth: credential, signal }),
};
