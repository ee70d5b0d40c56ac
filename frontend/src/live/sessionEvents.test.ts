// @vitest-environment node
import { describe, expect, it } from "vitest";
import { parseSessionEvent } from "./sessionEvents";

describe("parseSessionEvent", () => {
  it("reads flat events", () => {
    expect(parseSessionEvent('{"type":"presence","participant_id":"p","online":true}')).toEqual({ type: "presence", participant_id: "p", online: true });
  });

  it("unwraps payload and event envelopes", () => {
    expect(parseSessionEvent('{"type":"typing","payload":{"participant_id":"p","document_id":"d","at":"t"}}')).toEqual({
      type: "typing",
      participant_id: "p",
      document_id: "d",
      at: "t",
    });
    expect(parseSessionEvent('{"event":{"type":"presence","participant_id":"p","online":false}}')).toMatchObject({ type: "presence", online: false });
  });

  it("accepts help under either key", () => {
    expect(parseSessionEvent('{"type":"help.raised","help":{"id":"h"}}')).toMatchObject({ help_request: { id: "h" } });
  });

  it("ignores junk", () => {
    expect(parseSessionEvent("x")).toBeNull();
    expect(parseSessionEvent("[1]")).toBeNull();
    expect(parseSessionEvent('{"no":"type"}')).toBeNull();
  });
});
