import { exitSummary, isActive, statusText, type RunState } from "./runState";

/**
 * What a screen reader hears when a run changes state: its start, and its end with the
 * status (a finished run is otherwise silent: the terminal only draws it). Only changes
 * are spoken: a last run restored on load is not announced again.
 */
export function runAnnouncement(before: RunState, after: RunState, who?: string): string | null {
  const subject = who ? `${who}'s program` : "Your program";
  if (after.kind === "running" && (before.kind !== "running" || before.runId !== after.runId)) {
    return `${subject} is running (${after.entry}).`;
  }
  if (after.kind === "queued" && before.kind !== "queued") return `Waiting for a free runner, position ${after.position}.`;
  if (after.kind === "exited" && (isActive(before) || (before.kind === "exited" && before.exit.run_id !== after.exit.run_id))) {
    const exit = after.exit;
    const how = exit.status === "ok" ? "finished" : `ended: ${statusText(exit.status)}`;
    const message = exit.status !== "ok" && exit.message.trim() ? ` ${exit.message.trim()}` : "";
    return `${subject} ${how} (${exitSummary(exit)}).${message}`;
  }
  if (after.kind === "error" && before.kind !== "error") return `Run refused: ${after.message}`;
  return null;
}
