/** JSON shapes of the monitoring API (/api/monitoring/..., /ws/monitoring/). */

import type { RunStatus } from "../api/types";

export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** An execution row's status: a finished run's outcome, or refused, waiting, running. */
export type ExecutionStatus = RunStatus | "rejected" | "queued" | "running";

export interface SystemHeadline {
  cpu_percent: number;
  memory_percent: number;
  disk_percent: number;
  load_1m: number;
  status: HealthStatus;
}

export interface Figures {
  at: string;
  window_seconds: number;
  active_runs: number;
  queued_runs: number;
  live_sessions: number;
  participants: { joined: number; online: number };
  connections: { total: number; by_kind: Record<string, number> };
  runs: number;
  runs_finished: number;
  runs_ok: number;
  runs_failed: number;
  success_rate: number | null;
  avg_wall_ms: number | null;
  p95_wall_ms: number | null;
  peak_concurrency: number;
  errors: number;
  system: SystemHeadline;
}

export interface Execution {
  id: string;
  language: string;
  entry: string;
  backend: string;
  interactive: boolean;
  status: ExecutionStatus | string;
  exit_code: number | null;
  signal: number | null;
  message: string;
  wall_ms: number | null;
  cpu_ms: number | null;
  peak_memory_kb: number | null;
  output_bytes: number;
  queue_wait_ms: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  session: { id: string; title: string } | null;
  participant: { id: string; display_name: string; is_guest: boolean } | null;
  user: { id: string; username: string } | null;
}

export type { Page } from "../api/types";

export type Period = "hour" | "day" | "week";

export interface RunTotals {
  total: number;
  finished: number;
  ok: number;
  failed: number;
  success_rate: number | null;
  avg_wall_ms: number | null;
  p95_wall_ms: number | null;
}

export interface Statistics {
  period: Period;
  since: string;
  until: string;
  bucket: "minute" | "hour";
  totals: RunTotals;
  by_status: { status: string; count: number }[];
  by_language: { language: string; total: number; ok: number; failed: number; avg_wall_ms: number | null }[];
  by_session: { session_id: string; title: string; total: number; ok: number; failed: number }[];
  timeline: { start: string; counts: Record<string, number> }[];
  durations: { le_ms: number | null; count: number }[];
}

export interface HealthCheck {
  name: string;
  status: HealthStatus;
  latency_ms: number | null;
  message: string;
  details: Record<string, unknown>;
}

export interface HealthReport {
  status: HealthStatus;
  checked_at: string;
  checks: HealthCheck[];
}

export interface Resources {
  cpu: { percent: number; count: number; load_average: number[]; status: HealthStatus };
  memory: { total: number; available: number; used: number; percent: number; status: HealthStatus };
  swap: { total: number; used: number; percent: number };
  disks: { path: string; total: number; used: number; free: number; percent: number; status: HealthStatus }[];
  process: { pid: number; rss: number; threads: number; open_files: number | null; uptime_seconds: number };
  boot_time: number;
  thresholds: { degraded_percent: number; unhealthy_percent: number };
}

export interface ErrorEvent {
  id: number;
  source: string;
  kind: string;
  message: string;
  path: string;
  details: Record<string, unknown>;
  created_at: string;
}

export interface ExecutionFilters {
  language?: string;
  status?: string;
  session?: string;
  user?: string;
  participant?: string;
  since?: string;
  until?: string;
  page?: number;
  page_size?: number;
}

/** Frames the server sends on /ws/monitoring/. */
export type DashboardFrame =
  | ({ type: "figures" } & Figures)
  | { type: "error"; code: string; message: string };

/** An API key's use in the last day (GET /api/monitoring/api-keys): never its secret. */
export interface ApiKeyActivity {
  id: string;
  name: string;
  prefix: string;
  owner: string;
  active: boolean;
  last_used_at: string | null;
  use_count: number;
  runs_last_hour: number;
  runs_last_day: number;
  /** Runs of the last day that did not end ok. */
  failed_last_day: number;
  last_run_at: string | null;
  /** Webhook deliveries that gave up after a day of retries. */
  webhooks_failed_last_day: number;
}

export type ApiKeyScope = "execute" | "test-sessions" | "read";

/** An API key as its owner or an admin manages it (GET /api/integrations/keys/): never its secret. */
export interface ManagedApiKey {
  id: string;
  name: string;
  owner: string;
  prefix: string;
  scopes: ApiKeyScope[];
  expires_at: string | null;
  allowed_ips: string[];
  /** "count/period" (e.g. "200/15m"); blank: the deployment's default. */
  requests_rate: string;
  executions_rate: string;
  test_sessions_rate: string;
  /** Where the key's own events go (a run finished, a test session completed); blank: none. */
  webhook_url: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  use_count: number;
  is_active: boolean;
}

/** What the key form sends: POST makes a key, PATCH changes one. */
export interface ApiKeyInput {
  name: string;
  scopes: ApiKeyScope[];
  requests_rate: string;
  executions_rate: string;
  test_sessions_rate: string;
  webhook_url: string;
}

/** The answer to creating a key: its secrets, shown this once. */
export interface IssuedApiKey extends ManagedApiKey {
  secret: string;
  webhook_secret: string;
}
