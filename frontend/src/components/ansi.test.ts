// @vitest-environment node
import { describe, expect, it } from "vitest";
import { stripAnsi } from "./ansi";

describe("stripAnsi", () => {
  it("removes colour and cursor codes", () => {
    expect(stripAnsi("\u001b[01m\u001b[Kmain.c:\u001b[m\u001b[K In function")).toBe("main.c: In function");
    expect(stripAnsi("plain")).toBe("plain");
  });
});
