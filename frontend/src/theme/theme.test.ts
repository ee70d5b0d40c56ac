// @vitest-environment node
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { contrastRatio, monacoTheme, nextPreference, parsePreference, resolveTheme, terminalTheme, type Theme } from "./theme";

/** The custom properties of one rule of styles.css (`:root` or `:root[data-theme="dark"]`). */
function variables(selector: string): Record<string, string> {
  const css = readFileSync(new URL("../styles.css", import.meta.url), "utf8");
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no ${selector} rule in styles.css`);
  const body = css.slice(start, css.indexOf("}", start));
  const out: Record<string, string> = {};
  for (const match of body.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\s*;/g)) out[match[1]!] = match[2]!;
  return out;
}

const LIGHT = variables(":root");
const THEMES: Record<Theme, Record<string, string>> = { light: LIGHT, dark: { ...LIGHT, ...variables(':root[data-theme="dark"]') } };

// Every text colour the stylesheet puts on a background of its own, as [text, background].
const PAIRS: Array<[string, string]> = [
  ["ink", "bg"], ["ink", "panel"], ["ink", "panel-2"], ["ink", "field-bg"], ["ink", "tabs-bg"], ["ink", "code-bg"],
  ["muted", "bg"], ["muted", "panel"], ["muted", "panel-2"], ["muted", "tabs-bg"], ["muted", "badge-bg"],
  ["brand", "panel"], ["brand", "bg"], ["brand-ink", "brand"], ["code-ink", "panel-2"],
  ["typing-ink", "typing-bg"], ["run", "running-bg"], ["bad", "error-bg"], ["help", "help-bg"], ["ok", "ok-bg"],
  ["offline-ink", "offline-bg"], ["ended-ink", "ended-bg"], ["error-ink", "error-bg"], ["help-soft-ink", "help-soft"],
  ["ink", "notice-bg"], ["ink", "warn-bg"], ["ink", "claimed-bg"],
  ["bad", "panel"], ["bad", "claimed-bg"], ["run-btn-ink", "run-btn"], ["danger-btn-ink", "danger-btn"],
  ["term-ink", "term-bg"], ["term-head-ink", "term-head-bg"], ["term-ok", "term-head-bg"], ["term-bad", "term-head-bg"],
  ["term-run", "term-head-bg"], ["topbar-ink", "topbar-bg"],
];  // prettier-ignore

describe("theme", () => {
  it("follows the system unless the user chose", () => {
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("system", false)).toBe("light");
    expect(resolveTheme("light", true)).toBe("light");
    expect(resolveTheme("dark", false)).toBe("dark");
  });

  it("reads a stored choice, and anything else as the system's", () => {
    expect(parsePreference("dark")).toBe("dark");
    expect(parsePreference("light")).toBe("light");
    expect(parsePreference(null)).toBe("system");
    expect(parsePreference("purple")).toBe("system");
  });

  it("goes round system, light, dark", () => {
    expect([nextPreference("system"), nextPreference("light"), nextPreference("dark")]).toEqual(["light", "dark", "system"]);
  });

  it("gives Monaco and xterm the matching theme", () => {
    expect(monacoTheme("dark")).toBe("vs-dark");
    expect(monacoTheme("light")).toBe("vs");
    expect(contrastRatio(terminalTheme("dark").background!, "#000000")).toBeLessThan(2);
    expect(contrastRatio(terminalTheme("light").background!, "#ffffff")).toBeLessThan(1.1);
  });

  it("computes WCAG contrast", () => {
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrastRatio("#fff", "#fff")).toBe(1);
  });

  for (const theme of ["light", "dark"] as const) {
    it(`reads at WCAG AA in the ${theme} theme`, () => {
      const colours = THEMES[theme];
      const failing = PAIRS.filter(([text, background]) => {
        const [fg, bg] = [colours[text], colours[background]];
        if (!fg || !bg) throw new Error(`--${text} or --${background} is not a colour in styles.css`);
        return contrastRatio(fg, bg) < 4.5;
      }).map(([text, background]) => `--${text} on --${background}: ${contrastRatio(colours[text]!, colours[background]!).toFixed(2)}`);
      expect(failing).toEqual([]);
    });

    it(`gives the ${theme} terminal readable colours`, () => {
      const palette = terminalTheme(theme);
      const background = palette.background!;
      for (const name of ["foreground", "red", "green", "yellow", "blue", "magenta", "cyan"] as const) {
        expect(contrastRatio(palette[name]!, background), name).toBeGreaterThanOrEqual(4.5);
      }
    });
  }
});
