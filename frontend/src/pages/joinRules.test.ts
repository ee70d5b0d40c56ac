// @vitest-environment node
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { codeProblem, joinProblems, nameProblem, normalizeCode, serverProblems } from "./joinRules";

describe("join rules", () => {
  it("normalizes a typed code as the server does", () => {
    expect(normalizeCode(" abc-def ")).toBe("ABCDEF");
    expect(normalizeCode("abc.d_e f")).toBe("ABCDEF");
  });

  it("explains a code of the wrong shape", () => {
    expect(codeProblem("")).toBe("Enter the class code your teacher shows.");
    expect(codeProblem("AB")).toBe("A class code has 6 characters; this one has 2.");
    expect(codeProblem("ABCDEFG")).toBe("A class code has 6 characters; this one has 7.");
    expect(codeProblem("ABC0EF")).toMatch(/never use 0, O, 1, I or L/);
    expect(codeProblem("ABC?EF")).toBe("A class code has only letters and digits.");
    expect(codeProblem("abc-def")).toBeNull();
    expect(codeProblem("XY23Z9")).toBeNull();
  });

  it("refuses an empty name, one of only spaces and invisible characters", () => {
    expect(nameProblem("", false)).toBe("Enter the name your teacher will see.");
    expect(nameProblem("   ", false)).toMatch(/^A name of only spaces is not a name/);
    expect(nameProblem("Ev\u202eil", false)).toBe("A name cannot contain control or invisible characters.");
    expect(nameProblem("a\u200bb", false)).toBe("A name cannot contain control or invisible characters.");
    expect(nameProblem("x".repeat(81), false)).toBe("A name has at most 80 characters.");
    expect(nameProblem("  Ada  ", false)).toBeNull();
    expect(nameProblem("", true)).toBeNull(); // a signed-in student's account name is used
    expect(joinProblems("ABCDEF", "Ada", false)).toEqual({});
  });

  it("places the server's refusals by field, with a label instead of the field's name", () => {
    const invalid = (details: Record<string, unknown>) => new ApiError(400, { code: "invalid", message: "x", details });
    expect(serverProblems(invalid({ display_name: ["Too long."] }))).toEqual({ name: "Too long." });
    expect(serverProblems(invalid({ code: ["Bad code."] }))).toEqual({ code: "Bad code." });
    expect(serverProblems(invalid({ guest_key: ["Bad."] }))).toEqual({ other: "This browser's join key: Bad." });
    expect(serverProblems(new ApiError(404, { code: "not_found", message: "Not found.", details: {} }))).toEqual({ code: "No live class has this code. Check it with your teacher." });
    expect(serverProblems(new ApiError(409, { code: "session_full", message: "Full.", details: {} }))).toEqual({});
  });
});
