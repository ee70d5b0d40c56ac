/** The operator page's endpoints (monitoring, API keys), through the app's one API client. */
import { apiRequest } from "../api/client";
import type { ApiKeyActivity, ApiKeyInput, ErrorEvent, Execution, ExecutionFilters, Figures, HealthReport, IssuedApiKey, ManagedApiKey, Page, Period, Resources, Statistics } from "./types";

export const monitoring = {
  figures: (signal?: AbortSignal) => apiRequest<Figures>("/api/monitoring/figures", { signal }),
  executions: (filters: ExecutionFilters, signal?: AbortSignal) =>
    apiRequest<Page<Execution>>("/api/monitoring/executions", { signal, query: { ...filters } }),
  statistics: (period: Period, signal?: AbortSignal) =>
    apiRequest<Statistics>("/api/monitoring/statistics", { signal, query: { period } }),
  errors: (signal?: AbortSignal) => apiRequest<Page<ErrorEvent>>("/api/monitoring/errors", { signal, query: { page_size: 10 } }),
  resources: (signal?: AbortSignal) => apiRequest<Resources>("/api/monitoring/resources", { signal }),
  health: (signal?: AbortSignal) => apiRequest<HealthReport>("/api/monitoring/health", { signal }),
  apiKeys: (signal?: AbortSignal) => apiRequest<ApiKeyActivity[]>("/api/monitoring/api-keys", { signal }),
};

/** API keys themselves (/api/integrations/keys/): the caller's own, every key for an admin. */
export const apiKeys = {
  list: (signal?: AbortSignal) => apiRequest<ManagedApiKey[]>("/api/integrations/keys/", { signal }),
  create: (input: ApiKeyInput) => apiRequest<IssuedApiKey>("/api/integrations/keys/", { method: "POST", body: input }),
  update: (id: string, input: ApiKeyInput) => apiRequest<ManagedApiKey>(`/api/integrations/keys/${id}/`, { method: "PATCH", body: input }),
  /** It stops working at once. */
  revoke: (id: string) => apiRequest<ManagedApiKey>(`/api/integrations/keys/${id}/revoke`, { method: "POST" }),
  /** A new secret (and prefix), shown this once; the old secret stops working at once. */
  rotate: (id: string) => apiRequest<IssuedApiKey>(`/api/integrations/keys/${id}/rotate`, { method: "POST" }),
};
