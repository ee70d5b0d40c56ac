// @vitest-environment node
import { describe, expect, it } from "vitest";
import type { HelpRequest, ParticipantStatus } from "../api/types";
import { applyEvent, attentionReason, emptyClassroom, latestFile, sortStudents, tileStatus, withParticipants, withPreview, type Classroom } from "./classroom";

const T0 = Date.parse("2026-01-01T10:00:00Z");

function participant(id: string, name: string, extra: Partial<ParticipantStatus> = {}): ParticipantStatus {
  return {
    id,
    display_name: name,
    is_guest: true,
    online: true,
    joined_at: "2026-01-01T09:59:00Z",
    last_activity_at: "2026-01-01T09:59:30Z",
    last_run_status: null,
    open_help_request: null,
    removed: false,
    ...extra,
  };
}

function help(id: string, pid: string, state: HelpRequest["state"]): HelpRequest {
  return { id, participant_id: pid, display_name: pid, message: "stuck", file_name: "main.py", line: 3, last_output: "", state, created_at: "2026-01-01T09:59:50Z", claimed_by: null, claimed_at: null, resolved_at: null };
}

function start(): Classroom {
  return applyEvent(emptyClassroom, { type: "snapshot", participants: [participant("a", "Ada"), participant("b", "Bo")], help: [] }, T0);
}

describe("classroom", () => {
  it("builds students from the snapshot", () => {
    const state = start();
    expect(Object.keys(state.students)).toEqual(["a", "b"]);
    expect(tileStatus(state.students["a"]!, T0)).toBe("idle");
  });

  it("shows typing from preview events, with the code", () => {
    let state = start();
    state = applyEvent(state, { type: "preview", participant_id: "a", document_id: "d", name: "main.py", text: "print(1)", truncated: false, opened: false }, T0);
    expect(state.students["a"]!.preview).toEqual({ documentId: "d", name: "main.py", text: "print(1)" });
    expect(tileStatus(state.students["a"]!, T0 + 1000)).toBe("typing");
    expect(tileStatus(state.students["a"]!, T0 + 10_000)).toBe("idle");
  });

  it("tracks runs and repeated errors", () => {
    let state = start();
    state = applyEvent(state, { type: "run.started", participant_id: "b", run_id: "r1", language: "python" }, T0);
    expect(tileStatus(state.students["b"]!, T0)).toBe("running");
    state = applyEvent(state, { type: "run.ended", participant_id: "b", run_id: "r1", status: "runtime-error", exit_code: 1, wall_ms: 5 }, T0);
    state = applyEvent(state, { type: "run.ended", participant_id: "b", run_id: "r2", status: "compile-error", exit_code: 1, wall_ms: 5 }, T0);
    expect(tileStatus(state.students["b"]!, T0 + 60_000)).toBe("error");
    expect(attentionReason(state.students["b"]!, T0)).toBe("2 failed runs in a row");
    state = applyEvent(state, { type: "run.ended", participant_id: "b", run_id: "r3", status: "ok", exit_code: 0, wall_ms: 5 }, T0);
    expect(state.students["b"]!.consecutiveErrors).toBe(0);
    state = applyEvent(state, { type: "run.ended", participant_id: "b", run_id: "r4", status: "killed", exit_code: null, wall_ms: 5 }, T0);
    expect(tileStatus(state.students["b"]!, T0 + 60_000)).toBe("idle");
  });

  it("raises and clears hands in both the queue and the tile", () => {
    let state = start();
    state = applyEvent(state, { type: "help.raised", help_request: help("h", "b", "open") }, T0);
    expect(state.help.map((h) => h.id)).toEqual(["h"]);
    expect(tileStatus(state.students["b"]!, T0)).toBe("help");
    state = applyEvent(state, { type: "help.claimed", help_request: help("h", "b", "claimed") }, T0);
    expect(state.help[0]!.state).toBe("claimed");
    state = applyEvent(state, { type: "help.resolved", help_request: help("h", "b", "resolved") }, T0);
    expect(state.help).toEqual([]);
    expect(state.students["b"]!.participant.open_help_request).toBeNull();
  });

  it("sorts by needs attention: hands, then repeated errors, then long idle", () => {
    let state = withParticipants(emptyClassroom, [
      participant("a", "Ada", { last_activity_at: "2026-01-01T09:59:59Z" }),
      participant("b", "Bo", { last_activity_at: "2026-01-01T09:59:59Z" }),
      participant("c", "Cy", { last_activity_at: "2026-01-01T09:40:00Z" }),
      participant("d", "Di", { last_activity_at: "2026-01-01T09:59:59Z" }),
    ]);
    state = applyEvent(state, { type: "run.ended", participant_id: "d", run_id: "1", status: "timeout", exit_code: null, wall_ms: 1 }, T0);
    state = applyEvent(state, { type: "run.ended", participant_id: "d", run_id: "2", status: "timeout", exit_code: null, wall_ms: 1 }, T0);
    state = applyEvent(state, { type: "help.raised", help_request: help("h", "b", "open") }, T0);
    const order = sortStudents(Object.values(state.students), "attention", T0).map((s) => s.participant.display_name);
    expect(order).toEqual(["Bo", "Di", "Cy", "Ada"]);
    expect(sortStudents(Object.values(state.students), "name", T0).map((s) => s.participant.id)).toEqual(["a", "b", "c", "d"]);
  });

  it("handles presence, joins and removals", () => {
    let state = start();
    state = applyEvent(state, { type: "presence", participant_id: "a", online: false }, T0);
    expect(state.students["a"]!.participant.online).toBe(false);
    state = applyEvent(state, { type: "participant.joined", participant: participant("c", "Cy") }, T0);
    expect(Object.keys(state.students)).toContain("c");
    state = applyEvent(state, { type: "participant.removed", participant: participant("c", "Cy") }, T0);
    expect(Object.keys(state.students)).not.toContain("c");
  });

  it("ignores events for unknown students", () => {
    const state = start();
    expect(applyEvent(state, { type: "typing", participant_id: "zz", document_id: "d", at: "", by: "participant" }, T0)).toBe(state);
  });
});

describe("classroom previews from the server", () => {
  it("takes a preview included with the participant's status", () => {
    const state = withParticipants(emptyClassroom, [participant("a", "Ada", { preview: { document_id: "d", name: "main.py", text: "x = 1" } })]);
    expect(state.students["a"]!.preview).toEqual({ documentId: "d", name: "main.py", text: "x = 1" });
  });
});

describe("classroom: the tile shows what the student works on now", () => {
  const preview = (documentId: string, name: string, text: string, opened = false) =>
    ({ type: "preview", participant_id: "a", document_id: documentId, name, text, truncated: false, opened }) as const;

  it("follows the file the student opens, without calling it typing", () => {
    let state = applyEvent(start(), preview("m", "main.py", "print(1)"), T0);
    state = applyEvent(state, preview("h", "helper.py", "x = 2", true), T0 + 60_000);
    expect(state.students["a"]!.preview).toEqual({ documentId: "h", name: "helper.py", text: "x = 2" });
    expect(tileStatus(state.students["a"]!, T0 + 61_000)).toBe("idle");
  });

  it("goes back to the last edited file that still exists when the shown one is deleted", () => {
    let state = applyEvent(start(), preview("m", "main.py", "print(1)"), T0);
    state = applyEvent(state, preview("x", "extra.py", "print('extra')"), T0 + 1000);
    state = applyEvent(state, preview("y", "scratch.py", "pass"), T0 + 2000);
    state = applyEvent(state, { type: "file.deleted", participant_id: "a", document_id: "x", name: "extra.py" }, T0 + 3000);
    expect(state.students["a"]!.preview?.name).toBe("scratch.py"); // not the one shown: the tile stays
    state = applyEvent(state, { type: "file.deleted", participant_id: "a", document_id: "y", name: "scratch.py" }, T0 + 4000);
    expect(state.students["a"]!.preview).toEqual({ documentId: "m", name: "main.py", text: "print(1)" });
    state = applyEvent(state, { type: "file.deleted", participant_id: "a", document_id: "m", name: "main.py" }, T0 + 5000);
    expect(state.students["a"]!.preview).toBeNull(); // the page then lists the files again
    expect(state.students["b"]!.preview).toBeNull();
  });

  it("remembers a file loaded from the list as one to go back to", () => {
    let state = withPreview(start(), "a", { documentId: "m", name: "main.py", text: "print(1)" });
    state = applyEvent(state, preview("x", "extra.py", "1"), T0);
    state = applyEvent(state, { type: "file.deleted", participant_id: "a", document_id: "x", name: "extra.py" }, T0 + 1);
    expect(state.students["a"]!.preview?.name).toBe("main.py");
  });

  it("picks the file edited last from a list", () => {
    const file = (id: string, updated_at: string) => ({ id, name: `${id}.py`, content: "", updated_at, size: 0 });
    expect(latestFile([file("a", "2026-01-01T10:00:00Z"), file("b", "2026-01-01T10:05:00Z"), file("c", "2026-01-01T09:00:00Z")])?.id).toBe("b");
    expect(latestFile([])).toBeNull();
  });
});
