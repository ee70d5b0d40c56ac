import { describe, expect, it } from "vitest";
import { runAnnouncement } from "./runAnnouncement";
import type { ExitFrame, RunState } from "./runState";

const exit: ExitFrame = {
  type: "exit", run_id: "r1", status: "runtime-error", exit_code: 1, signal: null, wall_ms: 120, cpu_ms: 80,
  peak_memory_kb: 9000, output_bytes: 50, message: "NameError: name 'x' is not defined",
};  // prettier-ignore
const running: RunState = { kind: "running", runId: "r1", entry: "main.py", phase: "running", startedAt: 0 };

describe("runAnnouncement", () => {
  it("says a run started and how it ended, with the status", () => {
    expect(runAnnouncement({ kind: "requested" }, running)).toBe("Your program is running (main.py).");
    expect(runAnnouncement(running, { kind: "exited", exit })).toBe(
      "Your program ended: error (error · exit 1 · 120 ms · 8.8 MB). NameError: name 'x' is not defined",
    );
    expect(runAnnouncement(running, { kind: "exited", exit: { ...exit, status: "ok", exit_code: 0 } }, "Ada")).toBe(
      "Ada's program finished (finished · exit 0 · 120 ms · 8.8 MB).",
    );
  });

  it("stays quiet for a last run restored on load and for nothing new", () => {
    expect(runAnnouncement({ kind: "idle" }, { kind: "exited", exit })).toBeNull();
    expect(runAnnouncement(running, { ...running, phase: "running" })).toBeNull();
  });

  it("says a refused run was refused", () => {
    expect(runAnnouncement({ kind: "requested" }, { kind: "error", code: "rate_limited", message: "Too many runs.", retryUntil: null })).toBe("Run refused: Too many runs.");
  });
});
