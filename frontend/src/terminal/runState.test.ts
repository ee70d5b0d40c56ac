// @vitest-environment node
import { describe, expect, it } from "vitest";
import { exitNote, exitSummary, formatDuration, formatMemory, isActive, lastRunExit, nextRunState, parseFrame, type ExitFrame, type RunState } from "./runState";

const exit: ExitFrame = {
  type: "exit",
  run_id: "r1",
  status: "killed",
  exit_code: null,
  signal: 9,
  wall_ms: 1234,
  cpu_ms: 1200,
  peak_memory_kb: 9523,
  output_bytes: 10,
  message: "Stopped.",
};

describe("run state", () => {
  it("walks queued -> running -> compiling phase -> exited", () => {
    let state: RunState = { kind: "requested" };
    state = nextRunState(state, { type: "queued", position: 2 });
    expect(state).toEqual({ kind: "queued", position: 2 });
    state = nextRunState(state, { type: "started", run_id: "r1", language: "c", entry: "main.c" }, 1000);
    expect(state).toMatchObject({ kind: "running", runId: "r1", phase: "running", startedAt: 1000 });
    state = nextRunState(state, { type: "phase", phase: "compiling" });
    expect(state).toMatchObject({ kind: "running", phase: "compiling" });
    expect(isActive(state)).toBe(true);
    state = nextRunState(state, exit);
    expect(state).toEqual({ kind: "exited", exit });
    expect(isActive(state)).toBe(false);
  });

  it("turns a refused run into an error with a retry deadline", () => {
    const state = nextRunState({ kind: "requested" }, { type: "error", code: "rate_limited", message: "Slow down", retry_after: 5 }, 1000);
    expect(state).toEqual({ kind: "error", code: "rate_limited", message: "Slow down", retryUntil: 6000 });
  });

  it("keeps running through an error frame during a run", () => {
    const running: RunState = { kind: "running", runId: "r", entry: "a", phase: "running", startedAt: 0 };
    expect(nextRunState(running, { type: "error", code: "invalid", message: "bad" })).toBe(running);
  });

  it("parses frames defensively", () => {
    expect(parseFrame('{"type":"queued","position":1}')).toEqual({ type: "queued", position: 1 });
    expect(parseFrame("nope")).toBeNull();
    expect(parseFrame('{"x":1}')).toBeNull();
  });

  it("summarises an exit", () => {
    expect(exitSummary(exit)).toBe("killed · signal 9 · 1.23 s · 9.3 MB");
    expect(exitSummary({ ...exit, status: "ok", exit_code: 0, wall_ms: 40, peak_memory_kb: 800 })).toBe("finished · exit 0 · 40 ms · 800 KB");
    expect(formatDuration(null)).toBe("–");
    expect(formatMemory(2048)).toBe("2.0 MB");
  });

  it("notes why a run ended unless its output just said so", () => {
    expect(exitNote({ ...exit, status: "timeout", message: "Time limit of 10 s reached." }, "tick\r\n")).toBe("Time limit of 10 s reached.");
    expect(exitNote({ ...exit, status: "runtime-error", message: "NameError: name 'x' is not defined" }, "Traceback...\r\nNameError: name 'x' is not defined\r\n")).toBeNull();
    expect(exitNote({ ...exit, status: "compile-error", message: "main.c:1: error" }, "main.c:1:2: error: expected ';'")).toBeNull();
    expect(exitNote({ ...exit, status: "compile-error", message: "compiler failed" }, "")).toBe("compiler failed");
    expect(exitNote({ ...exit, status: "ok", message: "fine" }, "")).toBeNull();
  });

  it("turns the API's last run into the exit frame that ended it", () => {
    const run = { run_id: "r9", entry: "main.py", status: "ok" as const, exit_code: 0, signal: null, wall_ms: 10, cpu_ms: 8, peak_memory_kb: 100, output_bytes: 3, message: "", output_tail: "hi\n", finished_at: null };
    expect(lastRunExit(run)).toEqual({ type: "exit", run_id: "r9", status: "ok", exit_code: 0, signal: null, wall_ms: 10, cpu_ms: 8, peak_memory_kb: 100, output_bytes: 3, message: "" });
  });
});
