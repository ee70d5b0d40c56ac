/** Pure helpers of the operator dashboard: number formats, status colours, chart data. */
import { contrastRatio } from "../theme/theme";
import type { Figures, HealthStatus, Period, Statistics } from "./types";

/** Run statuses in the order charts stack them (successes at the bottom). */
export const STATUS_ORDER = [
  "ok",
  "runtime-error",
  "compile-error",
  "timeout",
  "memory-limit",
  "output-limit",
  "killed",
  "sandbox-error",
  "rejected",
  "running",
  "queued",
] as const;

export const STATUS_COLORS: Record<string, string> = {
  ok: "#17864b",
  "runtime-error": "#c8312f",
  "compile-error": "#e07b39",
  timeout: "#b96b00",
  "memory-limit": "#8c3bd9",
  "output-limit": "#5b5bd6",
  killed: "#7a8596",
  "sandbox-error": "#6b1d1c",
  rejected: "#a3acb9",
  running: "#1769aa",
  queued: "#7fb3e0",
};

/** Text and meter colours of a health state: the theme's own (styles.css), which read at WCAG AA on its panels. */
export const HEALTH_COLORS: Record<HealthStatus, string> = {
  healthy: "var(--ok)",
  degraded: "var(--warn)",
  unhealthy: "var(--bad)",
};

export const LANGUAGES = ["python", "javascript", "typescript", "c", "cpp", "java"];

export function statusColor(status: string): string {
  return STATUS_COLORS[status] ?? "#7a8596";
}

/** The text colour of a status pill: white or near-black, whichever reads better on the
 * status's colour (white on the grey of "killed" was 3.7:1, under WCAG AA's 4.5:1). */
export function statusTextColor(status: string): string {
  const background = statusColor(status);
  return contrastRatio("#ffffff", background) >= contrastRatio("#111418", background) ? "#ffffff" : "#111418";
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A share as a percentage with one decimal, rounded down: one failure in 2,000 is not "100%". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "–";
  return `${Math.floor(rate * 1000 + 1e-9) / 10}%`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}

export function formatPercent(value: number): string {
  return `${Math.round(value)}%`;
}

export function durationLabel(leMs: number | null, previous: number | null): string {
  if (leMs === null) return `> ${formatMs(previous)}`;
  return `≤ ${formatMs(leMs)}`;
}

export function periodSeconds(period: Period): number {
  return period === "hour" ? 3600 : period === "day" ? 86_400 : 7 * 86_400;
}

/** ISO time `period` ago, for the "since" filter. */
export function sinceFor(period: Period, now = Date.now()): string {
  return new Date(now - periodSeconds(period) * 1000).toISOString();
}

export interface StackedSeries {
  status: string;
  counts: number[];
  /** Counts of this status plus every status stacked below it. */
  top: number[];
}

/** Timeline buckets as uPlot data: x in seconds, one stacked series per status present. */
export function stackTimeline(timeline: Statistics["timeline"]): { xs: number[]; series: StackedSeries[] } {
  const xs = timeline.map((bucket) => Date.parse(bucket.start) / 1000);
  const present = new Set(timeline.flatMap((bucket) => Object.keys(bucket.counts)));
  const statuses = [
    ...STATUS_ORDER.filter((status) => present.has(status)),
    ...[...present].filter((status) => !(STATUS_ORDER as readonly string[]).includes(status)).sort(),
  ];
  const running = timeline.map(() => 0);
  const series = statuses.map((status) => {
    const counts = timeline.map((bucket) => bucket.counts[status] ?? 0);
    const top = counts.map((count, i) => (running[i] = (running[i] ?? 0) + count));
    return { status, counts, top };
  });
  return { xs, series };
}

/** Whether fresh figures mean the history (charts, table) changed since the last ones. */
export function historyChanged(previous: Figures | null, next: Figures): boolean {
  if (!previous) return false;
  return (
    previous.runs !== next.runs ||
    previous.runs_finished !== next.runs_finished ||
    previous.active_runs !== next.active_runs ||
    previous.errors !== next.errors
  );
}
