// @vitest-environment node
import { describe, expect, it } from "vitest";
import { DOCUMENT_FRAME_SHAPES, MONITORING_FRAME_SHAPES, TERMINAL_FRAME_SHAPES } from "../api/events.gen";
import { frameProblem } from "./frames";

describe("frameProblem", () => {
  it("says what is wrong", () => {
    expect(frameProblem({ type: "readonly" }, DOCUMENT_FRAME_SHAPES)).toBe("readonly: readonly is missing");
    expect(frameProblem({ type: "phase", phase: "linking" }, TERMINAL_FRAME_SHAPES)).toBe(
      'phase: phase is "linking", not one of compiling, running',
    );
    expect(frameProblem({ type: "queued", position: "2" }, TERMINAL_FRAME_SHAPES)).toBe("queued: position is not a number");
    expect(frameProblem({ type: "readonly", readonly: true }, TERMINAL_FRAME_SHAPES)).toBe('unknown type "readonly"');
    expect(frameProblem([], TERMINAL_FRAME_SHAPES)).toBe("not a JSON object");
  });

  it("passes each socket's frames as the server sends them", () => {
    const exit = {
      type: "exit", run_id: "r", status: "ok", exit_code: 0, signal: null, wall_ms: 30, cpu_ms: 20,
      peak_memory_kb: 9000, output_bytes: 3, message: "",
    };
    expect(frameProblem(exit, TERMINAL_FRAME_SHAPES)).toBeNull();
    expect(frameProblem({ type: "started", run_id: "r", language: "python", entry: "main.py" }, TERMINAL_FRAME_SHAPES)).toBeNull();
    expect(frameProblem({ type: "readonly", readonly: false }, DOCUMENT_FRAME_SHAPES)).toBeNull();
    expect(frameProblem({ type: "error", code: "unavailable", message: "Later." }, MONITORING_FRAME_SHAPES)).toBeNull();
  });
});
