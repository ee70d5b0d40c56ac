/**
 * Light or dark: the system's setting (prefers-color-scheme) unless the user picked one
 * with the switch (kept in localStorage). The page's colours follow through
 * `<html data-theme>` (styles.css), Monaco and xterm through the themes below.
 */
import type { ITheme } from "@xterm/xterm";

export type Theme = "light" | "dark";
export type ThemePreference = "system" | Theme;

export const THEME_KEY = "observer.theme";
const PREFERENCES: readonly ThemePreference[] = ["system", "light", "dark"];

export function parsePreference(raw: string | null | undefined): ThemePreference {
  return PREFERENCES.includes(raw as ThemePreference) ? (raw as ThemePreference) : "system";
}

export function resolveTheme(preference: ThemePreference, systemDark: boolean): Theme {
  if (preference === "system") return systemDark ? "dark" : "light";
  return preference;
}

/** The switch goes round: system → light → dark → system. */
export function nextPreference(preference: ThemePreference): ThemePreference {
  return PREFERENCES[(PREFERENCES.indexOf(preference) + 1) % PREFERENCES.length] ?? "system";
}

export function preferenceLabel(preference: ThemePreference, theme: Theme): string {
  if (preference === "system") return `Theme: as the system (${theme})`;
  return `Theme: ${preference}`;
}

export function monacoTheme(theme: Theme): string {
  return theme === "dark" ? "vs-dark" : "vs";
}

/**
 * The terminal's colours. xterm also gets `minimumContrastRatio: 4.5`, which lightens or
 * darkens any colour a program prints (and the dimmed notes we print) until it reads at
 * WCAG AA against this background.
 */
export function terminalTheme(theme: Theme): ITheme {
  if (theme === "dark") {
    return {
      background: "#10151f", foreground: "#d6dde8", cursor: "#d6dde8", selectionBackground: "#3a4a66",
      black: "#1c2230", red: "#ff8a80", green: "#5fd08a", yellow: "#f0c674", blue: "#7cb4ff",
      magenta: "#d7a6ff", cyan: "#66d9e8", white: "#d6dde8", brightBlack: "#a3adbd",
    };  // prettier-ignore
  }
  return {
    background: "#fbfcfe", foreground: "#1c2430", cursor: "#1c2430", selectionBackground: "#c9d8f5",
    black: "#1c2430", red: "#b3261e", green: "#11703d", yellow: "#8a5300", blue: "#1f54c9",
    magenta: "#8c3bd9", cyan: "#0b6a7a", white: "#5d6878", brightBlack: "#5d6878",
  };  // prettier-ignore
}

/** WCAG relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const value = hex.replace("#", "");
  const full = value.length === 3 ? value.replace(/./g, (c) => c + c) : value;
  const channels = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two #rrggbb colours (1 to 21; AA text needs 4.5). */
export function contrastRatio(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (high + 0.05) / (low + 0.05);
}
