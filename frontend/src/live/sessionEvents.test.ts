// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { parseSessionEvent } from "./sessionEvents";

const P = "3f1c2a9e-0000-4000-8000-000000000001";
const D = "3f1c2a9e-0000-4000-8000-000000000002";

describe("parseSessionEvent", () => {
  let warn: MockInstance<typeof console.warn>;
  beforeEach(() => {
    warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it.each([
    { type: "presence", participant_id: P, online: true },
    { type: "typing", participant_id: P, document_id: D, at: "2026-01-01T00:00:00Z", by: "teacher" },
    { type: "preview", participant_id: P, document_id: D, name: "main.py", text: "", truncated: false, opened: true },
    { type: "run.ended", participant_id: P, run_id: D, status: "timeout", exit_code: null, wall_ms: 5000 },
    { type: "help.claimed", help_request: { id: D } },
    { type: "snapshot", participants: [], help: [] },
    { type: "pong" },
    { type: "error", code: "throttled", message: "Slow down.", retry_after: 1 },
    { type: "error", code: "invalid", message: "No." },
  ])("accepts $type as the server sends it", (frame) => {
    expect(parseSessionEvent(JSON.stringify(frame))).toEqual(frame);
    expect(warn).not.toHaveBeenCalled();
  });

  it.each([
    ["a type the contract does not list", { type: "presence.changed", participant_id: P, online: true }],
    ["a missing field", { type: "presence", participant_id: P }],
    ["a field of the wrong kind", { type: "presence", participant_id: P, online: "yes" }],
    ["null where null is not allowed", { type: "file.deleted", participant_id: P, document_id: D, name: null }],
    ["an object where a list is expected", { type: "snapshot", participants: {}, help: [] }],
    ["a value outside the listed ones", { type: "run.ended", participant_id: P, run_id: D, status: "running", exit_code: null, wall_ms: null }],
    ["a number where an object is expected", { type: "session.updated", session: 1 }],
    ["an inherited property name as the type", { type: "constructor" }],
    // Framings the server never sends (the browser used to unwrap them).
    ["an event envelope", { event: { type: "presence", participant_id: P, online: false } }],
    ["a payload envelope", { type: "typing", payload: { participant_id: P, document_id: D, at: "t", by: "teacher" } }],
    ["help under another key", { type: "help.raised", help: { id: D } }],
  ])("ignores %s, with a warning", (_what, frame) => {
    expect(parseSessionEvent(JSON.stringify(frame))).toBeNull();
    expect(warn).toHaveBeenCalledOnce();
  });

  it("ignores what is not a JSON object", () => {
    for (const text of ["x", "[1]", "null", '"presence"', '{"no":"type"}']) {
      expect(parseSessionEvent(text)).toBeNull();
    }
    expect(warn).toHaveBeenCalledTimes(5);
  });
});
