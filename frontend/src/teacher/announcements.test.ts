import { act, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HelpRequest } from "../api/types";
import { participant } from "../test/fixtures";
import { classroomChanges, useThrottledAnnouncer } from "./announcements";
import type { Classroom, StudentLive } from "./classroom";

function student(id: string, name: string, patch: Partial<StudentLive> = {}, online = true): StudentLive {
  return {
    participant: { ...participant, id, display_name: name, online },
    preview: null, recent: [], lastTypingAt: null, lastActivityAt: null,
    running: false, lastRunStatus: null, consecutiveErrors: 0, ...patch,
  };  // prettier-ignore
}

const hand: HelpRequest = {
  id: "h1", participant_id: "p1", display_name: "Ada", message: "Stuck on line 2", file_name: "main.py", line: 2,
  last_output: "", state: "open", created_at: "", claimed_by: null, claimed_at: null, resolved_at: null,
};  // prettier-ignore

describe("classroomChanges", () => {
  it("names a new hand, a run that ended with an error, a join and a leave", () => {
    const before: Classroom = { students: { p1: student("p1", "Ada", { running: true }), p2: student("p2", "Bob") }, help: [] };
    const after: Classroom = {
      students: {
        p1: student("p1", "Ada", { running: false, lastRunStatus: "runtime-error" }),
        p2: student("p2", "Bob", {}, false),
        p3: student("p3", "Cy"),
      },
      help: [hand],
    };
    expect(classroomChanges(before, after)).toEqual([
      "Ada raised a hand: Stuck on line 2.",
      "Ada's run ended with an error.",
      "Bob left.",
      "Cy joined.",
    ]);
  });

  it("says nothing when nothing the teacher should hear changed", () => {
    const before: Classroom = { students: { p1: student("p1", "Ada", { running: true }) }, help: [hand] };
    const after: Classroom = { students: { p1: student("p1", "Ada", { running: false, lastRunStatus: "ok" }) }, help: [{ ...hand, state: "claimed" }] };
    expect(classroomChanges(before, after)).toEqual([]);
  });
});

describe("useThrottledAnnouncer", () => {
  afterEach(() => vi.useRealTimers());

  it("joins what arrives within the interval into one message", () => {
    vi.useFakeTimers();
    const { result } = renderHook(() => useThrottledAnnouncer(4000));
    act(() => result.current.announce(["Ada joined."]));
    act(() => void vi.advanceTimersByTime(0));
    expect(result.current.message).toBe("Ada joined.");
    act(() => result.current.announce(["Bob joined."]));
    act(() => result.current.announce(["Cy joined."]));
    act(() => void vi.advanceTimersByTime(1000));
    expect(result.current.message).toBe("Ada joined.");
    act(() => void vi.advanceTimersByTime(3000));
    expect(result.current.message).toBe("Bob joined. Cy joined.");
  });
});
