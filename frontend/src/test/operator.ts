/** Monitoring API answers the operator tests share. */
import type { HealthReport, Resources, Statistics } from "../operator/types";

export const GB = 1024 ** 3;

export function statistics(patch: Partial<Statistics> = {}): Statistics {
  return {
    period: "hour",
    since: "2030-01-01T11:00:00Z",
    until: "2030-01-01T12:00:00Z",
    bucket: "minute",
    totals: { total: 0, finished: 0, ok: 0, failed: 0, success_rate: null, avg_wall_ms: null, p95_wall_ms: null },
    by_status: [],
    by_language: [],
    by_session: [],
    timeline: [],
    durations: [],
    ...patch,
  };
}

export const HEALTH: HealthReport = {
  status: "degraded",
  checked_at: new Date().toISOString(),
  checks: [
    { name: "database", status: "healthy", latency_ms: 1.2, message: "ok", details: {} },
    { name: "sandbox", status: "degraded", latency_ms: 40, message: "cgroups unavailable: rlimits only", details: { cgroup_mode: "none" } },
    { name: "cpu", status: "healthy", latency_ms: null, message: "12% used", details: {} },
  ],
};

export const RESOURCES: Resources = {
  cpu: { percent: 12, count: 2, load_average: [0.5, 0.4, 0.3], status: "healthy" },
  memory: { total: 8 * GB, available: 2 * GB, used: 6 * GB, percent: 80, status: "degraded" },
  swap: { total: 0, used: 0, percent: 0 },
  disks: [{ path: "/srv", total: 100 * GB, used: 95 * GB, free: 5 * GB, percent: 95, status: "unhealthy" }],
  process: { pid: 4242, rss: 200 * 1024 ** 2, threads: 12, open_files: 30, uptime_seconds: 3600 },
  boot_time: 0,
  thresholds: { degraded_percent: 75, unhealthy_percent: 90 },
};
