/** The terminal protocol's JSON frames (docs/API.md, /ws/terminal/<participant_id>/) and the run state they drive. */
import type { LastRun, RunOutcome, RunStatus } from "../api/types";

export interface ExitFrame extends RunOutcome {
  type: "exit";
  run_id: string;
}

export type ServerFrame =
  | { type: "queued"; position: number }
  | { type: "started"; run_id: string; language: string; entry: string }
  | { type: "phase"; phase: "compiling" | "running" }
  | ExitFrame
  | { type: "error"; code: string; message: string; retry_after?: number };

export type RunState =
  | { kind: "idle" }
  | { kind: "requested" }
  | { kind: "queued"; position: number }
  | { kind: "running"; runId: string; entry: string; phase: "compiling" | "running"; startedAt: number }
  | { kind: "exited"; exit: ExitFrame }
  | { kind: "error"; code: string; message: string; retryUntil: number | null };

export function isActive(state: RunState): boolean {
  return state.kind === "requested" || state.kind === "queued" || state.kind === "running";
}

export function parseFrame(text: string): ServerFrame | null {
  try {
    const frame = JSON.parse(text) as { type?: unknown };
    if (typeof frame.type !== "string") return null;
    return frame as ServerFrame;
  } catch {
    return null;
  }
}

export function nextRunState(state: RunState, frame: ServerFrame, now = Date.now()): RunState {
  switch (frame.type) {
    case "queued":
      return { kind: "queued", position: frame.position };
    case "started":
      return { kind: "running", runId: frame.run_id, entry: frame.entry, phase: "running", startedAt: now };
    case "phase":
      return state.kind === "running" ? { ...state, phase: frame.phase } : state;
    case "exit":
      return { kind: "exited", exit: frame };
    case "error":
      // An error during a run (e.g. bad stdin frame) does not end it; one before it does.
      if (state.kind === "running") return state;
      return {
        kind: "error",
        code: frame.code,
        message: frame.message,
        retryUntil: frame.retry_after ? now + frame.retry_after * 1000 : null,
      };
    default:
      return state;
  }
}

const STATUS_TEXT: Record<RunStatus, string> = {
  ok: "finished",
  "runtime-error": "error",
  "compile-error": "compile error",
  timeout: "time limit",
  "memory-limit": "memory limit",
  "output-limit": "output limit",
  killed: "killed",
  "sandbox-error": "sandbox error",
};

export function statusText(status: RunStatus): string {
  return STATUS_TEXT[status] ?? status;
}

export function formatDuration(ms: number | null): string {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatMemory(kb: number | null): string {
  if (kb === null || kb === undefined) return "–";
  if (kb < 1024) return `${kb} KB`;
  return `${(kb / 1024).toFixed(1)} MB`;
}

/** "killed · exit 137 · 1.20 s · 9.3 MB" */
export function exitSummary(exit: ExitFrame): string {
  const parts = [statusText(exit.status)];
  if (exit.exit_code !== null && exit.exit_code !== undefined) parts.push(`exit ${exit.exit_code}`);
  else if (exit.signal) parts.push(`signal ${exit.signal}`);
  parts.push(formatDuration(exit.wall_ms));
  parts.push(formatMemory(exit.peak_memory_kb));
  return parts.join(" · ");
}

/** A finished run from the API as the `exit` frame that ended it. */
export function lastRunExit(run: LastRun): ExitFrame {
  return {
    type: "exit",
    run_id: run.run_id,
    status: run.status,
    exit_code: run.exit_code,
    signal: run.signal,
    wall_ms: run.wall_ms,
    cpu_ms: run.cpu_ms,
    peak_memory_kb: run.peak_memory_kb,
    output_bytes: run.output_bytes,
    message: run.message,
  };
}

/**
 * The note printed under a run's exit line, or null: why it ended (a limit, a stop), unless
 * the output just shown says it already (a compiler's errors, a traceback's last line).
 */
export function exitNote(exit: ExitFrame, recentOutput: string): string | null {
  const message = exit.message.trim();
  if (!message || exit.status === "ok") return null;
  if (exit.status === "compile-error" && recentOutput.trim()) return null;
  if (recentOutput.includes(message)) return null;
  return message;
}
