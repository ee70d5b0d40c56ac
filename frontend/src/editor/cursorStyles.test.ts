// @vitest-environment jsdom
import * as Y from "yjs";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import { describe, expect, it } from "vitest";
import { bindCursorStyles, colorFor, cssString, safeColor } from "./cursorStyles";

/** Our awareness plus a peer whose state reaches it the way the provider applies it. */
function pair() {
  const mine = new Awareness(new Y.Doc());
  const peer = new Awareness(new Y.Doc());
  const share = () => applyAwarenessUpdate(mine, encodeAwarenessUpdate(peer, [peer.clientID]), "remote");
  return { mine, peer, share };
}

function sheetOf(): CSSStyleSheet {
  const styles = Array.from(document.head.querySelectorAll("style"));
  const sheet = styles.at(-1)?.sheet;
  if (!sheet) throw new Error("no cursor style sheet");
  return sheet;
}

describe("cursor styles", () => {
  it("gives each remote cursor its user's colour and name label, never our own", () => {
    const { mine, peer, share } = pair();
    mine.setLocalStateField("user", { name: "Ms T", color: "#1971c2" });
    const unbind = bindCursorStyles(mine);
    peer.setLocalStateField("user", { name: "Ada", color: "#2f9e44" });
    share();

    const css = document.head.querySelector("style:last-of-type")!.textContent ?? "";
    expect(css).toContain(`.yRemoteSelectionHead-${peer.clientID}{border-color:#2f9e44 !important}`);
    expect(css).toContain(`.yRemoteSelection-${peer.clientID}{background-color:#2f9e4433}`);
    expect(css).toContain('content:"Ada"');
    expect(css).not.toContain(`-${mine.clientID}`);
    expect(sheetOf().cssRules).toHaveLength(4);

    removeAwarenessStates(mine, [peer.clientID], "remote");
    expect(document.head.querySelector("style:last-of-type")!.textContent).toBe("");
    unbind();
  });

  it("removes its style sheet when unbound", () => {
    const { mine } = pair();
    const before = document.head.querySelectorAll("style").length;
    const unbind = bindCursorStyles(mine);
    expect(document.head.querySelectorAll("style")).toHaveLength(before + 1);
    unbind();
    expect(document.head.querySelectorAll("style")).toHaveLength(before);
  });

  it("cannot be made to inject rules by a peer's name or colour", () => {
    const { mine, peer, share } = pair();
    const unbind = bindCursorStyles(mine);
    peer.setLocalStateField("user", { name: 'x"}\nbody{display:none}\\', color: "red}body{display:none}" });
    share();

    const rules = Array.from(sheetOf().cssRules) as CSSStyleRule[];
    expect(rules).toHaveLength(4);
    for (const rule of rules) expect(rule.selectorText).toMatch(/^\.yRemoteSelection(Head)?-\d+/);
    const css = document.head.querySelector("style:last-of-type")!.textContent ?? "";
    expect(css).not.toContain("body{");
    expect(css).not.toContain("red");
    unbind();
  });

  it("labels a peer without a name 'Someone'", () => {
    const { mine, peer, share } = pair();
    const unbind = bindCursorStyles(mine);
    peer.setLocalStateField("user", { color: "#c2255c" });
    share();
    expect(document.head.querySelector("style:last-of-type")!.textContent).toContain('content:"Someone"');
    unbind();
  });
});

describe("cursor style helpers", () => {
  it("escapes everything but letters, digits and spaces in a name", () => {
    expect(cssString("Zoë 2")).toBe('"Zoë 2"');
    expect(cssString('a"b')).toBe('"a\\22 b"');
    expect(cssString("a\nb}")).toBe('"a\\a b\\7d "');
    expect(cssString("x".repeat(60))).toBe(`"${"x".repeat(40)}"`);
  });

  it("keeps only #rrggbb colours and picks a stable palette colour otherwise", () => {
    expect(safeColor("#AbCdEf", "Ada")).toBe("#AbCdEf");
    expect(safeColor("red;}", "Ada")).toBe(colorFor("Ada"));
    expect(safeColor(undefined, "Ada")).toBe(colorFor("Ada"));
    expect(colorFor("Ada")).toBe(colorFor("Ada"));
    expect(colorFor("Ada")).toMatch(/^#[0-9a-f]{6}$/);
  });
});
